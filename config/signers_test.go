package config

import (
	"strings"
	"testing"
)

// TestUnknownBuiltinSignerDetail: a misspelled kubernetes.io signer names
// the one meant; a made-up one lists the real ones.
func TestUnknownBuiltinSignerDetail(t *testing.T) {
	tests := map[string]struct {
		signer, want string
	}{
		"misspelled":   {"kubernetes.io/kubelet-servng", `Did you mean "kubernetes.io/kubelet-serving"?`},
		"client typo":  {"kubernetes.io/kube-apiserver-clent", `Did you mean "kubernetes.io/kube-apiserver-client"?`},
		"made up":      {"kubernetes.io/my-signer", "The built-in signers are kubernetes.io/kubelet-serving, "},
		"third party":  {"example.com/my-signer", ""},
		"legit client": {"kubernetes.io/kube-apiserver-client", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			src := `
certificate "a" {
  common_name = "a"
  signer_name = "` + tc.signer + `"
  usages      = ["digital signature", "client auth"]
  output {
    key_file  = "a.key"
    cert_file = "a.crt"
  }
}
`
			_, diags := LoadSource([]byte(src), "main.hcl", t.TempDir(), Inputs{})
			if tc.want == "" {
				if diags.HasErrors() {
					t.Fatalf("unexpected diagnostics: %s", diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Summary != "Unknown built-in signer" || !strings.Contains(diags[0].Detail, tc.want) {
				t.Fatalf("diagnostics = %s, want one Unknown built-in signer whose detail holds %q", diags, tc.want)
			}
			if r := diags[0].Subject; r == nil || r.Start.Line != 4 {
				t.Errorf("diagnostic range = %v, want line 4 (signer_name)", r)
			}
		})
	}
}
