package config

import (
	"maps"
	"slices"
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
