package config

import (
	"sync"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// jsonDecodeFunc is go-cty's jsondecode with a fast path: a document of
// the plain kind a for_each is usually fed (objects, arrays, numbers,
// true, false, null, and strings of printable ASCII without escapes, keys
// not repeated) is read in one pass straight into its value; anything
// else, an error included, goes to stdlib.JSONDecodeFunc, so that the
// result and every message are go-cty's. go-cty reads each value of an
// object with a decoder of its own, after a first pass for the type:
// 0.07 s of a plan whose for_each is jsondecode of a 10,000-key file.
// FuzzJSONDecode holds the fast path to go-cty's result.
var jsonDecodeFunc = function.New(&function.Spec{
	Description: stdlib.JSONDecodeFunc.Description(),
	Params:      stdlib.JSONDecodeFunc.Params(),
	Type: func(args []cty.Value) (cty.Type, error) {
		if args[0].IsKnown() {
			if v, ok := lastJSON.read(args[0].AsString()); ok {
				return v.Type(), nil
			}
		}
		return stdlib.JSONDecodeFunc.ReturnTypeForValues(args)
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		if v, ok := lastJSON.read(args[0].AsString()); ok {
			return v, nil
		}
		return stdlib.JSONDecodeFunc.Call(args)
	},
})

// lastJSON keeps the document jsondecode's type was worked out from, and
// its value, for the call that follows: a function's type and its value
// are asked for one after the other, and the document is read once.
var lastJSON jsonMemo

// jsonMemo is the last document fastJSON read, and what it read.
type jsonMemo struct {
	mu  sync.Mutex
	set bool
	doc string
	v   cty.Value
	ok  bool
}

// read is fastJSON(doc), remembered for the next call with doc.
func (m *jsonMemo) read(doc string) (cty.Value, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.set && m.doc == doc {
		return m.v, m.ok
	}
	m.v, m.ok = fastJSON(doc)
	m.set, m.doc = true, doc
	return m.v, m.ok
}

// fastJSON reads doc when it is of the plain kind (jsonDecodeFunc); ok is
// false for anything else, which the caller leaves to go-cty.
func fastJSON(doc string) (v cty.Value, ok bool) {
	r := jsonReader{s: doc}
	v, ok = r.value(0)
	r.space()
	return v, ok && r.i == len(r.s)
}

// jsonReader walks a document of the plain kind; every method reports
// false at the first byte outside it.
type jsonReader struct {
	s string
	i int
}

// jsonMaxDepth is how deep the fast path nests; deeper documents go to
// go-cty, which has its own bound.
const jsonMaxDepth = 64

func (r *jsonReader) space() {
	for r.i < len(r.s) && (r.s[r.i] == ' ' || r.s[r.i] == '\t' || r.s[r.i] == '\n' || r.s[r.i] == '\r') {
		r.i++
	}
}

func (r *jsonReader) value(depth int) (cty.Value, bool) {
	r.space()
	if r.i >= len(r.s) || depth > jsonMaxDepth {
		return cty.NilVal, false
	}
	switch c := r.s[r.i]; {
	case c == '{':
		return r.object(depth)
	case c == '[':
		return r.array(depth)
	case c == '"':
		s, ok := r.str()
		return cty.StringVal(s), ok
	case c == '-' || c >= '0' && c <= '9':
		return r.number()
	case r.word("true"):
		return cty.True, true
	case r.word("false"):
		return cty.False, true
	case r.word("null"):
		return cty.NullVal(cty.DynamicPseudoType), true
	default:
		return cty.NilVal, false
	}
}

// word reads w if it comes next.
func (r *jsonReader) word(w string) bool {
	if len(r.s)-r.i >= len(w) && r.s[r.i:r.i+len(w)] == w {
		r.i += len(w)
		return true
	}
	return false
}

func (r *jsonReader) object(depth int) (cty.Value, bool) {
	r.i++ // {
	vals := map[string]cty.Value{}
	r.space()
	if r.i < len(r.s) && r.s[r.i] == '}' {
		r.i++
		return cty.EmptyObjectVal, true
	}
	for {
		r.space()
		if r.i >= len(r.s) || r.s[r.i] != '"' {
			return cty.NilVal, false
		}
		key, ok := r.str()
		if !ok {
			return cty.NilVal, false
		}
		if _, repeated := vals[key]; repeated {
			return cty.NilVal, false
		}
		r.space()
		if r.i >= len(r.s) || r.s[r.i] != ':' {
			return cty.NilVal, false
		}
		r.i++
		if vals[key], ok = r.value(depth + 1); !ok {
			return cty.NilVal, false
		}
		if more, ok := r.next('}'); !ok || !more {
			return cty.ObjectVal(vals), ok
		}
	}
}

func (r *jsonReader) array(depth int) (cty.Value, bool) {
	r.i++ // [
	var vals []cty.Value
	r.space()
	if r.i < len(r.s) && r.s[r.i] == ']' {
		r.i++
		return cty.EmptyTupleVal, true
	}
	for {
		v, ok := r.value(depth + 1)
		if !ok {
			return cty.NilVal, false
		}
		vals = append(vals, v)
		if more, ok := r.next(']'); !ok || !more {
			return cty.TupleVal(vals), ok
		}
	}
}

// next reads what follows a member or element: a comma (more follow) or
// the closing bracket; ok is false for anything else.
func (r *jsonReader) next(closing byte) (more, ok bool) {
	r.space()
	if r.i >= len(r.s) {
		return false, false
	}
	r.i++
	switch r.s[r.i-1] {
	case ',':
		return true, true
	case closing:
		return false, true
	}
	return false, false
}

// str reads a string of printable ASCII without escapes.
func (r *jsonReader) str() (string, bool) {
	start := r.i + 1
	for i := start; i < len(r.s); i++ {
		switch c := r.s[i]; {
		case c == '"':
			r.i = i + 1
			return r.s[start:i], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return "", false
		}
	}
	return "", false
}

// number reads a number as JSON writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *jsonReader) number() (cty.Value, bool) {
	start := r.i
	digits := func() int {
		n := 0
		for r.i < len(r.s) && r.s[r.i] >= '0' && r.s[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	if r.s[r.i] == '-' {
		r.i++
	}
	if r.i < len(r.s) && r.s[r.i] == '0' {
		r.i++
	} else if digits() == 0 {
		return cty.NilVal, false
	}
	if r.i < len(r.s) && r.s[r.i] == '.' {
		r.i++
		if digits() == 0 {
			return cty.NilVal, false
		}
	}
	if r.i < len(r.s) && (r.s[r.i] == 'e' || r.s[r.i] == 'E') {
		r.i++
		if r.i < len(r.s) && (r.s[r.i] == '+' || r.s[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return cty.NilVal, false
		}
	}
	v, err := cty.ParseNumberVal(r.s[start:r.i])
	return v, err == nil
}
