package config

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestSensitiveAttributes: an attribute is sensitive when its expression
// refers to a sensitive variable, to a local computed from one, or (in a
// module) to a variable the call sets from one.
func TestSensitiveAttributes(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.hcl": `
variable "team" {
  type      = string
  default   = "night-owls"
  sensitive = true
}
locals {
  ns = "${var.team}-ns"
}
certificate "root" {
  common_name = "root.example"
  hosts       = ["root.example"]
  signer_name = "example.com/serving"
  secret {
    namespace = local.ns
    name      = "root-tls"
  }
}
module "svc" {
  source = "./modules/service-cert"
  name   = lower(var.team)
}
module "plain" {
  source = "./modules/service-cert"
  name   = "plain"
}
`,
		"modules/service-cert/main.hcl": serviceCert,
	})
	cfg, _, diags := Load(dir, Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := map[string][]string{
		"certificate.root":             {"secret.namespace"},
		"module.svc.certificate.tls":   {"common_name", "hosts", "output.cert_file", "output.key_file", "secret.name"},
		"module.plain.certificate.tls": nil,
	}
	for _, c := range cfg.Certificates {
		got := slices.Sorted(maps.Keys(c.Sensitive))
		if !slices.Equal(got, want[c.Addr]) {
			t.Errorf("%s: sensitive %q, want %q", c.Addr, got, want[c.Addr])
		}
	}
}

// TestDiagnosticsHideSensitiveValues: a mistake in a value built from a
// sensitive variable is reported without quoting the secret.
func TestDiagnosticsHideSensitiveValues(t *testing.T) {
	dir := writeTree(t, map[string]string{"main.hcl": `
variable "team" {
  type      = string
  default   = "Night-Owls"
  sensitive = true
}
certificate "web" {
  common_name = "web.example"
  hosts       = ["${var.team}.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "web.key"
    cert_file = "web.crt"
  }
}
`})
	_, _, diags := Load(dir, Inputs{})
	if !diags.HasErrors() {
		t.Fatal("an upper-case host loaded without error")
	}
	var all []string
	for _, d := range diags {
		all = append(all, d.Summary+": "+d.Detail)
	}
	if msg := strings.Join(all, "\n"); strings.Contains(strings.ToLower(msg), "night-owls") || !strings.Contains(msg, "(sensitive value)") {
		t.Errorf("the diagnostic quotes the sensitive value: %s", msg)
	}
}
