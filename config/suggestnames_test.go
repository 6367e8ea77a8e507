package config

import (
	"strings"
	"testing"

	"github.com/certform/certform/internal/workdir"
)

// TestSuggestions: the spellings a newcomer brings from other tools get
// the right name back, and references to undeclared names say so.
func TestSuggestions(t *testing.T) {
	const head = `
variable "namespace" { default = "team-a" }
locals { svc = "svc.team-a" }
certificate "web" {
  output {
    key_file  = "web.key"
    cert_file = "web.crt"
  }
`
	base := map[string]string{
		"common_name": `"web.example"`, "hosts": `["web.example"]`,
		"signer_name": `"example.com/serving"`, "usages": `["digital signature", "server auth"]`,
	}
	cases := map[string]struct {
		attr, value          string
		wantSummary, wantHas string
	}{
		"upper-case host":             {"hosts", `["A.Example"]`, "Invalid host", `Did you mean "a.example"?`},
		"camelCase usage":             {"usages", `["digital signature", "clientAuth"]`, "Unknown usage", `Did you mean "client auth"?`},
		"dashed usage":                {"usages", `["digital-signature"]`, "Unknown usage", `Did you mean "digital signature"?`},
		"misspelt usage":              {"usages", `["server auht"]`, "Unknown usage", `Did you mean "server auth"?`},
		"signer without domain":       {"signer_name", `"kubelet-serving"`, "Invalid signer name", `Did you mean "kubernetes.io/kubelet-serving"?`},
		"undeclared variable":         {"common_name", `var.nope`, "Reference to undeclared input variable", `No input variable "nope" is declared. Declare it with a variable "nope" {} block`},
		"misspelt variable":           {"common_name", `var.namespce`, "Reference to undeclared input variable", `Did you mean var.namespace?`},
		"misspelt local":              {"common_name", `local.svcc`, "Reference to undeclared local value", `Did you mean local.svc?`},
		"key_file beside output":      {"key_file", `"web.key"`, "Unsupported argument", `key_file belongs in a nested output block: output { key_file = ... }`},
		"organization beside subject": {"organization", `["team-a"]`, "Unsupported argument", `organization belongs in a nested subject block`},
		"algorithm beside key":        {"algorithm", `"rsa"`, "Unsupported argument", `algorithm belongs in a nested key block`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			src := head
			for _, a := range []string{"common_name", "hosts", "signer_name", "usages"} {
				v := base[a]
				if a == tc.attr {
					v = tc.value
				}
				src += "  " + a + " = " + v + "\n"
			}
			if _, ok := base[tc.attr]; !ok {
				src += "  " + tc.attr + " = " + tc.value + "\n"
			}
			src += "}\n"
			_, diags := LoadSource([]byte(src), "main.hcl", t.TempDir(), Inputs{})
			for _, d := range diags {
				if d.Summary == tc.wantSummary && strings.Contains(d.Detail, tc.wantHas) {
					return
				}
			}
			t.Errorf("no %q diagnostic with %q; got %s", tc.wantSummary, tc.wantHas, diags)
		})
	}
}

// TestNoFilesNamesTheDirectory: "the directory ." names no directory; the
// message gives the absolute path, the configuration directory's.
func TestNoFilesNamesTheDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, _, diags := Load(".", Inputs{Dir: workdir.Dir(dir)})
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, "The directory "+dir+" holds no *.hcl files") {
		t.Errorf("want the absolute directory %s in the detail, got %s", dir, diags)
	}
}
