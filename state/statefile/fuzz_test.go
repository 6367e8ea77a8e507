package statefile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds the state reader arbitrary bytes: it must never panic,
// and whatever it accepts must re-encode to something it reads back alike.
func FuzzDecode(f *testing.F) {
	for _, glob := range []string{"testdata/roundtrip/*.json", "testdata/invalid/*.json"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			data, _ := os.ReadFile(file)
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			return
		}
		out, err := Encode(s)
		if err != nil {
			t.Fatalf("Encode of a decoded state failed: %v", err)
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatalf("re-decoding failed: %v\n%s", err, out)
		}
		out2, _ := Encode(again)
		if string(out) != string(out2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", out, out2)
		}
	})
}
