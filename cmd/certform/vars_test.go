package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestVariablePrecedence pins the documented order of variable values
// (docs/configuration.md), lowest first: the default, CERTFORM_VAR_name,
// certform.tfvars, *.auto.tfvars in lexical order, then --var and
// --var-file in the order given, the later winning, before the command or
// after it. --var-file paths are taken from the --chdir directory. A plan
// from state alone (--refresh=false) needs no cluster.
func TestVariablePrecedence(t *testing.T) {
	const cfg = `
variable "cn" {
  type    = string
  default = "from-default"
}
certificate "a" {
  common_name = var.cn
  signer_name = "kubernetes.io/kube-apiserver-client"
  usages      = ["digital signature", "client auth"]
  output {
    key_file  = "a.key"
    cert_file = "a.crt"
  }
}
`
	cases := map[string]struct {
		files map[string]string // variable files in the configuration directory
		env   string            // CERTFORM_VAR_cn
		args  []string          // before plan
		after []string          // after plan
		want  string
	}{
		"default":                   {want: "from-default"},
		"environment":               {env: "from-env", want: "from-env"},
		"certform.tfvars over env":  {env: "from-env", files: map[string]string{"certform.tfvars": "from-tfvars"}, want: "from-tfvars"},
		"auto over certform.tfvars": {files: map[string]string{"certform.tfvars": "from-tfvars", "a.auto.tfvars": "from-a-auto"}, want: "from-a-auto"},
		"auto files lexically":      {files: map[string]string{"b.auto.tfvars": "from-b-auto", "a.auto.tfvars": "from-a-auto"}, want: "from-b-auto"},
		"--var over auto":           {files: map[string]string{"a.auto.tfvars": "from-a-auto"}, after: []string{"--var", "cn=from-var"}, want: "from-var"},
		"--var then --var-file":     {files: map[string]string{"x.tfvars": "from-file"}, after: []string{"--var", "cn=from-var", "--var-file", "x.tfvars"}, want: "from-file"},
		"--var-file then --var":     {files: map[string]string{"x.tfvars": "from-file"}, after: []string{"--var-file", "x.tfvars", "--var", "cn=from-var"}, want: "from-var"},
		"two --var-file":            {files: map[string]string{"x.tfvars": "from-x", "y.tfvars": "from-y"}, after: []string{"--var-file", "y.tfvars", "--var-file", "x.tfvars"}, want: "from-x"},
		"before, then after":        {args: []string{"--var", "cn=before"}, after: []string{"--var", "cn=after"}, want: "after"},
		"after beats before file":   {files: map[string]string{"x.tfvars": "from-file"}, args: []string{"--var-file", "x.tfvars"}, after: []string{"--var", "cn=after"}, want: "after"},
		"single dash":               {files: map[string]string{"x.tfvars": "from-file"}, after: []string{"-var", "cn=from-var", "-var-file=x.tfvars"}, want: "from-file"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := writeConfig(t, cfg)
			for f, v := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte(`cn = "`+v+`"`+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := append(append(append([]string{}, tc.args...), "plan", "--refresh=false", "--format", "json"), tc.after...)
			cmd := certformCmd(dir, "", args...)
			if tc.env != "" {
				cmd.Env = append(cmd.Env, "CERTFORM_VAR_cn="+tc.env)
			}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("plan %q: %v\n%s", args, err, out)
			}
			var p struct {
				Changes []struct {
					After struct {
						CommonName string `json:"common_name"`
					} `json:"after"`
				} `json:"changes"`
			}
			if err := json.Unmarshal(out, &p); err != nil || len(p.Changes) != 1 {
				t.Fatalf("plan --format json: %v\n%s", err, out)
			}
			if got := p.Changes[0].After.CommonName; got != tc.want {
				t.Errorf("common_name = %q, want %q", got, tc.want)
			}
		})
	}
}
