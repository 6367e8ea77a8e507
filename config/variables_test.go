package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const varsConfig = `
variable "ns" {
  type    = string
  default = "from-default"
}
variable "replicas" {
  type    = number
  default = 1
}
variable "secret" {
  type      = number
  default   = 0
  sensitive = true
}
certificate "a" {
  common_name        = "${var.ns}.example"
  signer_name        = "example.com/s"
  expiration_seconds = 600 * var.replicas
  output {
    key_file  = "a.key"
    cert_file = "a.crt"
  }
}
`

func TestVariablePrecedence(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fileA := write("a.hcl", `ns = "from-file-a"`)
	fileB := write("b.hcl", `replicas = 3`)
	tests := map[string]struct {
		in       Inputs
		wantCN   string
		wantExp  int32
		wantDiag string
	}{
		"default":                {wantCN: "from-default.example", wantExp: 600},
		"environment":            {in: Inputs{Env: []string{"CERTFORM_VAR_ns=from-env"}}, wantCN: "from-env.example", wantExp: 600},
		"var file beats env":     {in: Inputs{Env: []string{"CERTFORM_VAR_ns=from-env"}, Args: []VarArg{{File: true, Value: fileA}}}, wantCN: "from-file-a.example", wantExp: 600},
		"later --var wins":       {in: Inputs{Args: []VarArg{{Value: "ns=first"}, {File: true, Value: fileA}, {Value: "ns=last"}}}, wantCN: "last.example", wantExp: 600},
		"later var file wins":    {in: Inputs{Args: []VarArg{{Value: "ns=first"}, {File: true, Value: fileA}}}, wantCN: "from-file-a.example", wantExp: 600},
		"number from --var":      {in: Inputs{Args: []VarArg{{Value: "replicas=2"}}}, wantCN: "from-default.example", wantExp: 1200},
		"number from var file":   {in: Inputs{Args: []VarArg{{File: true, Value: fileB}}}, wantCN: "from-default.example", wantExp: 1800},
		"undeclared env ignored": {in: Inputs{Env: []string{"CERTFORM_VAR_other=x"}}, wantCN: "from-default.example", wantExp: 600},
		"undeclared --var":       {in: Inputs{Args: []VarArg{{Value: "nss=x"}}}, wantDiag: `Value for undeclared variable; --var nss sets "nss", but no variable of that name is declared. Did you mean "ns"?`},
		"mistyped secret --var":  {in: Inputs{Args: []VarArg{{Value: "secrt=hunter2"}}}, wantDiag: `--var secrt sets "secrt", but no variable of that name is declared. Did you mean "secret"?`},
		"--var without a name":   {in: Inputs{Args: []VarArg{{Value: "=hunter2"}}}, wantDiag: `Invalid --var argument; --var =VALUE names no variable`},
		"not a number":           {in: Inputs{Args: []VarArg{{Value: "replicas=many"}}}, wantDiag: "Variables not allowed"},
		"malformed --var":        {in: Inputs{Args: []VarArg{{Value: "ns"}}}, wantDiag: `Invalid --var argument; "ns" is not NAME=VALUE`},
		"sensitive value hidden": {in: Inputs{Args: []VarArg{{Value: `secret="hunter2"`}}}, wantDiag: "Invalid value for variable"},
		// Found by FuzzVarFile: the source was hidden with the value, and
		// the detail read "from does not fit".
		"sensitive value hidden, source named": {in: Inputs{Args: []VarArg{{Value: `secret="hunter2"`}}}, wantDiag: `The value of "secret" from --var secret does not fit its type`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, diags := LoadSource([]byte(varsConfig), "main.hcl", dir, tc.in)
			if tc.wantDiag != "" {
				if !strings.Contains(diags.Error(), tc.wantDiag) {
					t.Errorf("diagnostics %q lack %q", diags.Error(), tc.wantDiag)
				}
				if strings.Contains(diags.Error(), "hunter2") {
					t.Errorf("diagnostics show a sensitive value: %s", diags.Error())
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			c := cfg.Certificates[0]
			if c.Request.Subject.CommonName != tc.wantCN || c.ExpirationSeconds != tc.wantExp {
				t.Errorf("CN %q, expiration %d; want %q, %d", c.Request.Subject.CommonName, c.ExpirationSeconds, tc.wantCN, tc.wantExp)
			}
		})
	}
}

func TestVarFileUndeclaredIsWarning(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "shared.hcl")
	os.WriteFile(p, []byte("ns = \"x\"\nunused = 1\n"), 0o644)
	_, diags := LoadSource([]byte(varsConfig), "main.hcl", dir, Inputs{Args: []VarArg{{File: true, Value: p}}})
	if diags.HasErrors() || len(diags) != 1 || !strings.Contains(diags[0].Summary, "undeclared") {
		t.Errorf("want one warning for the undeclared variable, got %s", diags)
	}
}

func TestForEachAndLocals(t *testing.T) {
	src := `
locals {
  hosts  = [for n in local.names : "${n}.${local.domain}"]
  names  = sort(keys(var.pods))
  domain = "pods.example"
}
variable "pods" {
  default = { b = "10.0.0.2", a = "10.0.0.1" }
}
certificate "pod" {
  for_each    = var.pods
  common_name = "${each.key}.${local.domain}"
  hosts       = [each.value, cidrhost(cidrsubnet("10.1.0.0/16", 8, 3), 5), cidrhost("10.2.0.0/24", -2)]
  signer_name = "example.com/s"
  output {
    key_file  = "${each.key}.key"
    cert_file = "${each.key}.crt"
  }
}
certificate "all" {
  hosts       = local.hosts
  signer_name = "example.com/s"
  output {
    key_file  = "all.key"
    cert_file = "all.crt"
  }
}
`
	cfg, diags := LoadSource([]byte(src), "main.hcl", ".", Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var got []string
	for _, c := range cfg.Certificates {
		got = append(got, c.Addr+" "+c.Request.Subject.CommonName+" "+strings.Join(c.Request.Hosts, ","))
	}
	want := []string{
		`certificate.all  a.pods.example,b.pods.example`,
		`certificate.pod["a"] a.pods.example 10.0.0.1,10.1.3.5,10.2.0.254`,
		`certificate.pod["b"] b.pods.example 10.0.0.2,10.1.3.5,10.2.0.254`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
