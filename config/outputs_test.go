package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputsSameFileByAbsolutePath names one file by a relative and by
// an absolute path: the diagnostic points at the second and names where
// the first is defined.
func TestOutputsSameFileByAbsolutePath(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct {
		outputs string
		want    string // summary
	}{
		"ca_file is key_file, absolute": {
			outputs: fmt.Sprintf("key_file = \"out/a.key\"\ncert_file = \"out/a.crt\"\nca_file = %q\n", filepath.Join(dir, "out", "a.key")),
			want:    "Output paths collide",
		},
		"key_file absolute, csr_file relative": {
			outputs: fmt.Sprintf("key_file = %q\ncert_file = \"out/a.crt\"\ncsr_file = \"out/a.key\"\n", filepath.Join(dir, "out", "a.key")),
			want:    "Output paths collide",
		},
		"cert_file is the state file, absolute": {
			outputs: fmt.Sprintf("key_file = \"out/a.key\"\ncert_file = %q\n", filepath.Join(dir, "certform.state.json")),
			want:    "Output is certform's own file",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			src := "certificate \"a\" {\n  common_name = \"a\"\n  signer_name = \"example.com/x\"\n  output {\n" + tc.outputs + "  }\n}\n"
			_, diags := LoadSource([]byte(src), "main.hcl", dir, Inputs{})
			if len(diags) != 1 || diags[0].Summary != tc.want {
				t.Fatalf("diagnostics: %v, want one %q", diags, tc.want)
			}
			d := diags[0]
			if d.Subject == nil || d.Subject.Start.Line < 5 {
				t.Errorf("diagnostic range %v does not point at the output attribute", d.Subject)
			}
			if tc.want == "Output paths collide" && !strings.Contains(d.Detail, "main.hcl:5,") {
				t.Errorf("detail %q does not name the first definition (main.hcl:5)", d.Detail)
			}
		})
	}
}
