package statefile

import (
	"bytes"
	"unicode/utf8"
)

// reader reads the JSON that certform writes, for decodeFast. It gives up
// on anything else: once it fails, it stands at the end of the data, so
// every further read fails too and every loop ends.
type reader struct {
	data   []byte
	i      int
	ok     bool
	buf    []byte            // scratch for keys with escapes
	intern map[string]string // values that repeat from record to record
}

func (r *reader) fail() { r.ok, r.i = false, len(r.data) }

// ws skips JSON whitespace.
func (r *reader) ws() {
	for r.i < len(r.data) {
		switch r.data[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// consume skips c, reporting whether it came next.
func (r *reader) consume(c byte) bool {
	r.ws()
	if r.i < len(r.data) && r.data[r.i] == c {
		r.i++
		return true
	}
	return false
}

func (r *reader) expect(c byte) {
	if !r.consume(c) {
		r.fail()
	}
}

// literal skips word (null, true or false), reporting whether it came next.
func (r *reader) literal(word string) bool {
	r.ws()
	if bytes.HasPrefix(r.data[r.i:], []byte(word)) {
		r.i += len(word)
		return true
	}
	return false
}

// object reads an object, calling member for each key, positioned at the
// key's value. The key is only valid during the call.
func (r *reader) object(member func(key []byte)) {
	r.expect('{')
	if r.consume('}') {
		return
	}
	for r.ok {
		key := r.key()
		r.expect(':')
		member(key)
		if !r.consume(',') {
			r.expect('}')
			return
		}
	}
}

// array reads an array, calling elem positioned at each element.
func (r *reader) array(elem func()) {
	r.expect('[')
	if r.consume(']') {
		return
	}
	for r.ok {
		elem()
		if !r.consume(',') {
			r.expect(']')
			return
		}
	}
}

// key reads a string without keeping it: a slice of the data or, for a
// key with escapes, of the scratch buffer.
func (r *reader) key() []byte {
	raw, escaped := r.scan()
	if !escaped {
		return raw
	}
	r.buf = r.unescape(r.buf[:0], raw)
	return r.buf
}

// str reads a string.
func (r *reader) str() string {
	raw, escaped := r.scan()
	if escaped {
		return string(r.unescape(nil, raw))
	}
	return string(raw)
}

// common reads a string that many records hold alike (a status, a role, a
// mode, a signer), keeping one copy of each.
func (r *reader) common() string {
	raw, escaped := r.scan()
	if escaped {
		return string(r.unescape(nil, raw))
	}
	if s, ok := r.intern[string(raw)]; ok {
		return s
	}
	s := string(raw)
	r.intern[s] = s
	return s
}

// strings reads an array of strings, each as common reads it when alike
// is set; an empty one is empty, not nil, as encoding/json makes it.
func (r *reader) strings(alike bool) []string {
	out := []string{}
	r.array(func() {
		if alike {
			out = append(out, r.common())
		} else {
			out = append(out, r.str())
		}
	})
	return out
}

// scan reads a string token, returning what is between its quotes and
// whether that holds escapes. It fails on what encoding/json would read
// otherwise than as written: control characters and invalid UTF-8.
func (r *reader) scan() (raw []byte, escaped bool) {
	r.ws()
	if r.i >= len(r.data) || r.data[r.i] != '"' {
		r.fail()
		return nil, false
	}
	start, ascii := r.i+1, true
	for j := start; j < len(r.data); j++ {
		switch c := r.data[j]; {
		case c == '"':
			r.i = j + 1
			if raw = r.data[start:j]; !ascii && !utf8.Valid(raw) {
				r.fail()
			}
			return raw, escaped
		case c == '\\':
			escaped = true
			j++ // the escaped character, checked by unescape
		case c < 0x20:
			r.fail()
			return nil, false
		case c >= 0x80:
			ascii = false
		}
	}
	r.fail()
	return nil, false
}

// unescape appends raw, a string's content, with its escapes resolved. It
// fails on a \u escape of a surrogate, which encoding/json pairs or
// replaces.
func (r *reader) unescape(out, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(raw) {
			r.fail()
			return out
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			v, ok := hex4(raw[i+1:])
			if !ok || utf8.RuneLen(v) < 0 { // not 4 hex digits, or a surrogate
				r.fail()
				return out
			}
			out, i = utf8.AppendRune(out, v), i+4
		default:
			r.fail()
			return out
		}
	}
	return out
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var v rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}

// integer reads a number written as an integer (no fraction, no exponent:
// encoding/json refuses those for integer fields) and returns its digits.
func (r *reader) integer() []byte {
	r.ws()
	start, j := r.i, r.i
	if j < len(r.data) && r.data[j] == '-' {
		j++
	}
	digits := j
	for j < len(r.data) && '0' <= r.data[j] && r.data[j] <= '9' {
		j++
	}
	if j == digits || (r.data[digits] == '0' && j > digits+1) {
		r.fail() // no digits, or a leading zero
		return nil
	}
	if j < len(r.data) && (r.data[j] == '.' || r.data[j] == 'e' || r.data[j] == 'E') {
		r.fail()
		return nil
	}
	r.i = j
	return r.data[start:j]
}

// value skips any JSON value and returns it as written.
func (r *reader) value(depth int) []byte {
	r.ws()
	start := r.i
	switch {
	case depth > 1000 || r.i >= len(r.data):
		r.fail()
	case r.data[r.i] == '{':
		r.object(func([]byte) { r.value(depth + 1) })
	case r.data[r.i] == '[':
		r.array(func() { r.value(depth + 1) })
	case r.data[r.i] == '"':
		// Kept raw, but its escapes must be ones encoding/json reads
		// (unescape fails on any other), or the state could not be
		// written back.
		if raw, escaped := r.scan(); escaped && r.ok {
			r.unescape(nil, raw)
		}
	case r.literal("null") || r.literal("true") || r.literal("false"):
	default:
		r.number()
	}
	if !r.ok {
		return nil
	}
	return r.data[start:r.i]
}

// number skips a number of any form JSON allows.
func (r *reader) number() {
	d := r.data
	j := r.i
	if j < len(d) && d[j] == '-' {
		j++
	}
	digits := func() int {
		k := j
		for j < len(d) && '0' <= d[j] && d[j] <= '9' {
			j++
		}
		return j - k
	}
	first := j
	if n := digits(); n == 0 || (d[first] == '0' && n > 1) {
		r.fail()
		return
	}
	if j < len(d) && d[j] == '.' {
		j++
		if digits() == 0 {
			r.fail()
			return
		}
	}
	if j < len(d) && (d[j] == 'e' || d[j] == 'E') {
		j++
		if j < len(d) && (d[j] == '+' || d[j] == '-') {
			j++
		}
		if digits() == 0 {
			r.fail()
			return
		}
	}
	r.i = j
}
