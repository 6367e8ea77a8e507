package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// FuzzLoad feeds the configuration loader arbitrary source. It must never
// panic, and every error it reports must point at a range in the source.
func FuzzLoad(f *testing.F) {
	for _, glob := range []string{"testdata/valid/*.hcl", "testdata/invalid/*.hcl", "../examples/*/*.hcl"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			data, _ := os.ReadFile(file)
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		_, diags := LoadSource(src, "fuzz.hcl", "testdata", Inputs{})
		for _, d := range diags {
			if d.Severity == hcl.DiagError && d.Subject == nil {
				t.Errorf("error without a range: %s: %s", d.Summary, d.Detail)
			}
		}
	})
}
