package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// varFileConfig declares variables of the types a var file can set,
// one of them sensitive.
const varFileConfig = `
variable "namespace" {}
variable "replicas" {
  type    = number
  default = 1
}
variable "hosts" {
  type    = list(string)
  default = []
}
variable "labels" {
  type    = map(string)
  default = {}
}
variable "settings" {
  type    = object({ name = string, port = number })
  default = { name = "a", port = 1 }
}
variable "password" {
  type      = list(string)
  sensitive = true
  default   = []
}
`

// FuzzVarFile feeds the variable inputs arbitrary text: a --var-file's
// content, and a --var of the sensitive variable password (a list, so the
// text is parsed as an expression, not taken as a string). Loading must
// never panic, every error from the file must point at a range in it, and
// no diagnostic may repeat the sensitive value (CI keeps stderr).
// Seeds are in testdata/fuzz/FuzzVarFile.
func FuzzVarFile(f *testing.F) {
	f.Fuzz(func(t *testing.T, file []byte, secret string) {
		path := filepath.Join(t.TempDir(), "fuzz.certformvars")
		if err := os.WriteFile(path, file, 0o600); err != nil {
			t.Fatal(err)
		}
		in := Inputs{Args: []VarArg{{File: true, Value: path}, {Value: "password=" + secret}}}
		_, diags := LoadSource([]byte(varFileConfig), "main.hcl", t.TempDir(), in)
		for _, d := range diags {
			if d.Severity != hcl.DiagError {
				continue
			}
			if d.Subject == nil && !strings.Contains(d.Detail, "--var") && !strings.Contains(d.Summary, "--var") {
				t.Errorf("error without a range: %s: %s", d.Summary, d.Detail)
			}
			if len(secret) >= 6 && (strings.Contains(d.Summary, secret) || strings.Contains(d.Detail, secret)) {
				t.Errorf("a diagnostic repeats the sensitive value %q: %s: %s", secret, d.Summary, d.Detail)
			}
		}
	})
}
