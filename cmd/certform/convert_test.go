package main

import (
	"testing"
)

// TestConvertCfsslExtraFields: a cfssl CSR JSON with fields convert has
// no use for (a CA's "ca", a subject e-mail) converts, and the warning
// names each field left out.
func TestConvertCfsslExtraFields(t *testing.T) {
	r := certform(t, ".", "", "convert", "cfssl", "--signer-name", "example.com/serving", "testdata/cfssl-with-ca.json")
	if r.code != exitOK {
		t.Fatalf("convert failed\n%s", r)
	}
	mustContain(t, r, `certform: warning: ignored cfssl fields that a Kubernetes CSR has no place for: ca, names[0].E, serialnumber`,
		`common_name = "my-svc.my-namespace.svc.cluster.local"`, `organization        = ["My Team"]`, `locality            = ["San Francisco"]`,
		`algorithm = "rsa"`, `size      = 2048`)
	if r := certform(t, ".", "", "convert", "cfssl", "testdata/seed-cfssl.json"); r.stderr != "" {
		t.Errorf("a file without extra fields warns\n%s", r)
	}
}
