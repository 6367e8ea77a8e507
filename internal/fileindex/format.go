package fileindex

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// magic is the first word of an index file; the version follows it.
const magic = "certform-file-index"

// ErrUnsupportedVersion is wrapped by decode's error for an index of
// another version than this certform writes (a newer certform's, say):
// it is ignored like a damaged one, and replaced on the next save.
var ErrUnsupportedVersion = errors.New("unsupported file index version")

// errMalformed is wrapped by decode's error for anything else it refuses.
var errMalformed = errors.New("malformed file index")

// fileV1 is version 1 of the index's wire format, a text file read by
// hand for speed (20,000 entries in a few milliseconds):
//
//	certform-file-index 1 COUNT
//	SHA256 MODE DEV INO SIZE MTIME CTIME PATH
//	...
//
// COUNT lines follow the header, sorted by PATH, each path once. SHA256
// is 64 lower-case hex digits, MODE is st_mode in octal (a regular
// file's), MTIME and CTIME are nanoseconds since the epoch, the other
// numbers decimal; PATH, clean and absolute, runs to the end of the line
// and holds no control character, so a newline cannot forge an entry.
// The count makes a truncated file malformed rather than shorter.
type fileV1 struct {
	Entries []entryV1
}

// entryV1 is one line of fileV1.
type entryV1 struct {
	Path               string
	SHA256             string
	Mode               uint32
	Dev, Ino           uint64
	Size, Mtime, Ctime int64
}

// minLineV1 is the length of the shortest entry line, newline included:
// it bounds the count a header may claim before anything is allocated.
const minLineV1 = 64 + 7*2 + 1 + 1

// encode is f's bytes. f's entries must be sorted by path and indexable.
func (f fileV1) encode() []byte {
	size := len(magic) + 32
	for _, e := range f.Entries {
		size += len(e.Path) + 64 + 7*21
	}
	b := make([]byte, 0, size)
	b = append(b, magic+" 1 "...)
	b = strconv.AppendInt(b, int64(len(f.Entries)), 10)
	b = append(b, '\n')
	for _, e := range f.Entries {
		b = append(b, e.SHA256...)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(e.Mode), 8)
		for _, n := range [...]uint64{e.Dev, e.Ino} {
			b = append(b, ' ')
			b = strconv.AppendUint(b, n, 10)
		}
		for _, n := range [...]int64{e.Size, e.Mtime, e.Ctime} {
			b = append(b, ' ')
			b = strconv.AppendInt(b, n, 10)
		}
		b = append(b, ' ')
		b = append(b, e.Path...)
		b = append(b, '\n')
	}
	return b
}

// decode reads an index file: the version first, then the whole of
// version 1, refusing anything it would not have written.
func decode(data []byte) (fileV1, error) {
	s := string(data)
	header, rest, ok := strings.Cut(s, "\n")
	if !ok {
		return fileV1{}, fmt.Errorf("no header line: %w", errMalformed)
	}
	word, header, _ := strings.Cut(header, " ")
	version, count, _ := strings.Cut(header, " ")
	if word != magic {
		return fileV1{}, fmt.Errorf("not a certform file index: %w", errMalformed)
	}
	if version != "1" {
		return fileV1{}, fmt.Errorf("version %.20q: %w", version, ErrUnsupportedVersion)
	}
	n, err := strconv.ParseUint(count, 10, 32)
	if err != nil || n > uint64(len(rest)/minLineV1) {
		return fileV1{}, fmt.Errorf("header: count %.20q: %w", count, errMalformed)
	}
	f := fileV1{Entries: make([]entryV1, 0, n)}
	for line := 2; rest != ""; line++ {
		text, more, ok := strings.Cut(rest, "\n")
		if !ok {
			return fileV1{}, fmt.Errorf("line %d: no newline at the end: %w", line, errMalformed)
		}
		e, err := decodeLineV1(text)
		if err == nil && len(f.Entries) > 0 && e.Path <= f.Entries[len(f.Entries)-1].Path {
			err = errors.New("paths out of order or repeated")
		}
		if err != nil {
			return fileV1{}, fmt.Errorf("line %d: %v: %w", line, err, errMalformed)
		}
		f.Entries = append(f.Entries, e)
		rest = more
	}
	if uint64(len(f.Entries)) != n {
		return fileV1{}, fmt.Errorf("%d entries, the header says %d: %w", len(f.Entries), n, errMalformed)
	}
	return f, nil
}

// decodeLineV1 reads one entry line.
func decodeLineV1(text string) (entryV1, error) {
	var e entryV1
	var fields [7]string
	for i := range fields {
		var ok bool
		if fields[i], text, ok = strings.Cut(text, " "); !ok {
			return e, errors.New("too few fields")
		}
	}
	e.SHA256, e.Path = fields[0], text
	if !isHexSHA256(e.SHA256) {
		return e, errors.New("not a hex SHA-256")
	}
	mode, err := strconv.ParseUint(fields[1], 8, 32)
	if err != nil || mode&syscall.S_IFMT != syscall.S_IFREG {
		return e, errors.New("not a regular file's mode")
	}
	e.Mode = uint32(mode)
	if e.Dev, err = strconv.ParseUint(fields[2], 10, 64); err != nil {
		return e, errors.New("bad device")
	}
	if e.Ino, err = strconv.ParseUint(fields[3], 10, 64); err != nil {
		return e, errors.New("bad inode")
	}
	var times [3]int64
	for i := range times {
		if times[i], err = strconv.ParseInt(fields[4+i], 10, 64); err != nil {
			return e, errors.New("bad size or time")
		}
	}
	e.Size, e.Mtime, e.Ctime = times[0], times[1], times[2]
	if e.Size < 0 {
		return e, errors.New("negative size")
	}
	if !indexable(e.Path) {
		return e, errors.New("path not clean and absolute, or with a control character")
	}
	return e, nil
}

// isHexSHA256 says whether s is a SHA-256 in lower-case hex, as state
// records hashes.
func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !lowerHex[s[i]] {
			return false
		}
	}
	return true
}

// lowerHex marks the lower-case hex digits.
var lowerHex = func() (t [256]bool) {
	for _, c := range "0123456789abcdef" {
		t[c] = true
	}
	return t
}()
