package fileindex

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode feeds the index reader arbitrary files (the index is outside
// input: anything may have written the data directory). It must never
// panic, refuse with errMalformed or ErrUnsupportedVersion, and what it
// accepts must be sorted, indexable entries that write and read back to
// the same. Seeds are in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decode(data)
		if err != nil {
			if !errors.Is(err, errMalformed) && !errors.Is(err, ErrUnsupportedVersion) {
				t.Fatalf("an error of neither kind: %v", err)
			}
			return
		}
		if !slices.IsSortedFunc(got.Entries, byPath) {
			t.Fatal("accepted entries out of order")
		}
		for _, e := range got.Entries {
			if !indexable(e.Path) || !isHexSHA256(e.SHA256) || e.Size < 0 {
				t.Fatalf("accepted a bad entry: %+v", e)
			}
		}
		again, err := decode(got.encode())
		if err != nil {
			t.Fatalf("what was accepted does not read back: %v", err)
		}
		if d := cmp.Diff(got, again); d != "" {
			t.Errorf("read back differently (-first +again):\n%s", d)
		}
	})
}

// FuzzIndexable checks the one-pass path check against its definition:
// absolute, unchanged by filepath.Clean, no control character. Seeds are
// in testdata/fuzz/FuzzIndexable.
func FuzzIndexable(f *testing.F) {
	f.Fuzz(func(t *testing.T, path string) {
		want := filepath.IsAbs(path) && filepath.Clean(path) == path && !strings.ContainsFunc(path, func(r rune) bool { return r < 0x20 || r == 0x7f })
		if got := indexable(path); got != want {
			t.Errorf("indexable(%q) = %v, want %v", path, got, want)
		}
	})
}
