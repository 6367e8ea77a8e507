package digest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOfFile observes a missing file, an empty one, one larger than the
// read buffer, one of its size and one a byte smaller, and a directory
// (an error: no output is one).
func TestOfFile(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("certform ", 5000)
	os.WriteFile(filepath.Join(dir, "empty"), nil, 0o640)
	os.WriteFile(filepath.Join(dir, "big"), []byte(big), 0o600)
	buffer, under := strings.Repeat("b", 8<<10), strings.Repeat("u", 8<<10-1) // a read's size, and one byte less
	os.WriteFile(filepath.Join(dir, "buffer"), []byte(buffer), 0o600)
	os.WriteFile(filepath.Join(dir, "under"), []byte(under), 0o600)
	cases := map[string]struct {
		path    string
		want    File
		wantErr string
	}{
		"missing":   {path: "missing"},
		"empty":     {path: "empty", want: File{Exists: true, SHA256: SHA256(nil), Mode: 0o640}},
		"big":       {path: "big", want: File{Exists: true, SHA256: SHA256([]byte(big)), Mode: 0o600}},
		"buffer":    {path: "buffer", want: File{Exists: true, SHA256: SHA256([]byte(buffer)), Mode: 0o600}},
		"under":     {path: "under", want: File{Exists: true, SHA256: SHA256([]byte(under)), Mode: 0o600}},
		"directory": {path: ".", wantErr: "is a directory"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := OfFile(filepath.Join(dir, tc.path))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "reading ") {
					t.Fatalf("err = %v, want one saying reading ...: %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
