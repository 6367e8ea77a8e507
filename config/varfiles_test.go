package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

const nsConfig = `
variable "ns" {
  type = string
}
variable "token" {
  type      = string
  default   = "t0"
  sensitive = true
}
certificate "a" {
  common_name = "${var.ns}.${certform.workspace}.example"
  signer_name = "example.com/s"
  output {
    key_file  = "a.key"
    cert_file = "a.crt"
  }
}
`

// TestVarFiles: certform.tfvars and *.auto.tfvars load by themselves, in
// Terraform's order; a var file that is also configuration is explained.
func TestVarFiles(t *testing.T) {
	tests := map[string]struct {
		files    map[string]string // beside main.hcl
		args     []VarArg          // paths relative to the directory
		in       Inputs
		wantCN   string
		wantDiag string // summary, then a fragment of the detail
	}{
		"certform.tfvars":          {files: map[string]string{"certform.tfvars": `ns = "dflt"`}, wantCN: "dflt.default.example"},
		"auto beats certform":      {files: map[string]string{"certform.tfvars": `ns = "dflt"`, "b.auto.tfvars": `ns = "auto"`}, wantCN: "auto.default.example"},
		"auto in lexical order":    {files: map[string]string{"a.auto.tfvars": `ns = "a"`, "b.auto.tfvars": `ns = "b"`}, wantCN: "b.default.example"},
		"auto beats environment":   {files: map[string]string{"x.auto.tfvars": `ns = "auto"`}, in: Inputs{Env: []string{"CERTFORM_VAR_ns=env"}}, wantCN: "auto.default.example"},
		"--var-file beats auto":    {files: map[string]string{"x.auto.tfvars": `ns = "auto"`, "prod.tfvars": `ns = "prod"`}, args: []VarArg{{File: true, Value: "prod.tfvars"}}, wantCN: "prod.default.example"},
		"other tfvars not loaded":  {files: map[string]string{"prod.tfvars": `ns = "prod"`}, wantDiag: "No value for required variable"},
		"workspace in expressions": {files: map[string]string{"certform.tfvars": `ns = "n"`}, in: Inputs{Workspace: "staging"}, wantCN: "n.staging.example"},
		"hcl var file in the directory": {files: map[string]string{"prod.hcl": `ns = "prod"`}, args: []VarArg{{File: true, Value: "prod.hcl"}},
			wantDiag: "Variable file is a configuration file|Rename it to prod.tfvars"},
		"var-like hcl file not passed": {files: map[string]string{"prod.hcl": `ns = "prod"`},
			wantDiag: "Variable values in a configuration file|rename it to prod.tfvars"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(nsConfig), 0o644)
			for n, body := range tt.files {
				os.WriteFile(filepath.Join(dir, n), []byte(body), 0o644)
			}
			in := tt.in
			for _, a := range tt.args {
				in.Args = append(in.Args, VarArg{File: a.File, Value: filepath.Join(dir, a.Value)})
			}
			cfg, _, diags := Load(dir, in)
			checkDiag(t, diags, tt.wantDiag)
			if tt.wantCN != "" && !diags.HasErrors() {
				if got := cfg.Certificates[0].Request.Subject.CommonName; got != tt.wantCN {
					t.Errorf("common name %q, want %q", got, tt.wantCN)
				}
			}
		})
	}
}

func checkDiag(t *testing.T, diags hcl.Diagnostics, want string) {
	t.Helper()
	if want == "" {
		if diags.HasErrors() {
			t.Fatalf("unexpected diagnostics: %v", diags)
		}
		return
	}
	summary, detail, _ := strings.Cut(want, "|")
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Summary == summary && strings.Contains(d.Detail, detail) {
			if d.Subject == nil {
				t.Errorf("%q has no subject", summary)
			}
			return
		}
	}
	t.Fatalf("want %q, got %v", want, diags)
}

// TestSavedValues: a saved plan's values replace the inputs; an input that
// differs is refused, naming the variable and never the values.
func TestSavedValues(t *testing.T) {
	saved := map[string]cty.Value{"ns": cty.StringVal("prod"), "token": cty.StringVal("s3cret")}
	tests := map[string]struct {
		in       Inputs
		wantDiag string
	}{
		"nothing given":       {},
		"same value given":    {in: Inputs{Args: []VarArg{{Value: "ns=prod"}}}},
		"different value":     {in: Inputs{Args: []VarArg{{Value: "ns=staging"}}}, wantDiag: `Variable differs from the saved plan|another value of "ns" than --var ns gives`},
		"different sensitive": {in: Inputs{Env: []string{"CERTFORM_VAR_token=other"}}, wantDiag: `Variable differs from the saved plan|"token" than environment variable CERTFORM_VAR_token`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			in := tt.in
			in.Saved = saved
			cfg, diags := LoadSource([]byte(nsConfig), "main.hcl", t.TempDir(), in)
			checkDiag(t, diags, tt.wantDiag)
			for _, d := range diags {
				if strings.Contains(d.Detail, "s3cret") || strings.Contains(d.Detail, "other") && !strings.Contains(d.Detail, "another") {
					t.Errorf("a diagnostic shows a value: %s", d.Detail)
				}
			}
			if tt.wantDiag == "" && cfg.Certificates[0].Request.Subject.CommonName != "prod.default.example" {
				t.Errorf("common name %q: the saved value was not used", cfg.Certificates[0].Request.Subject.CommonName)
			}
		})
	}
}

// TestBackendRefusesVariables: a backend that moves with a variable lets
// one environment's var file point at another's state; workspaces do it.
func TestBackendRefusesVariables(t *testing.T) {
	src := `
variable "env" {
  type    = string
  default = "prod"
}
backend "kubernetes" {
  namespace = "certform"
  name      = "certs-${var.env}"
}
` + nsConfig[strings.Index(nsConfig, "certificate"):]
	_, diags := LoadSource([]byte(src), "main.hcl", t.TempDir(), Inputs{})
	checkDiag(t, diags, "Variables not allowed|use workspaces")
}
