package main

import (
	"crypto/x509"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/pki"
)

// TestConvertCfssl converts the seed's cfssl JSON and checks that the
// block requests the same certificate cfssl genkey would, and that plan
// accepts it.
func TestConvertCfssl(t *testing.T) {
	r := certform(t, ".", "", "convert", "cfssl", "testdata/seed-cfssl.json")
	if r.code != exitOK {
		t.Fatalf("convert failed\n%s", r)
	}
	dir := writeConfig(t, r.stdout)

	var in cfsslRequest
	data, _ := os.ReadFile("testdata/seed-cfssl.json")
	if err := json.Unmarshal(data, &in); err != nil {
		t.Fatal(err)
	}
	// What cfssl genkey puts in its CSR, built here from the JSON directly.
	want := &x509.CertificateRequest{}
	want.Subject.CommonName = in.CN
	for _, n := range in.Names {
		want.Subject.Organization = append(want.Subject.Organization, n.O)
	}
	for _, h := range in.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			want.IPAddresses = append(want.IPAddresses, ip)
		} else {
			want.DNSNames = append(want.DNSNames, h)
		}
	}

	cfg, _, diags := config.Load(dir, config.Inputs{})
	if diags.HasErrors() {
		t.Fatalf("converted HCL does not load: %s\n%s", diags, r.stdout)
	}
	c := cfg.Certificates[0]
	key, err := pki.GenerateKey(c.Key.KeySpec)
	if err != nil {
		t.Fatal(err)
	}
	csrPEM, err := pki.CreateCSR(key, c.Request)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pki.ParseCSRPEM(csrPEM)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject.String() != want.Subject.String() {
		t.Errorf("subject = %s, want %s", got.Subject, want.Subject)
	}
	if !slices.Equal(got.DNSNames, want.DNSNames) || len(got.IPAddresses) != len(want.IPAddresses) {
		t.Errorf("SANs = %v %v, want %v %v", got.DNSNames, got.IPAddresses, want.DNSNames, want.IPAddresses)
	}
	for i := range want.IPAddresses {
		if !got.IPAddresses[i].Equal(want.IPAddresses[i]) {
			t.Errorf("IP SAN %d = %v, want %v", i, got.IPAddresses[i], want.IPAddresses[i])
		}
	}
	if spec := pki.SpecOf(got.PublicKey).String(); spec != in.Key.Algo+"-256" {
		t.Errorf("key = %s, want %s-%d", spec, in.Key.Algo, in.Key.Size)
	}

	c2 := sharedCluster(t)
	if r := certform(t, dir, c2.RestrictedKubeconfig, "plan", "--detailed-exitcode"); r.code != exitChanges {
		t.Errorf("plan of the converted block: want exit 2\n%s", r)
	}
}

func TestConvertNeedsSignerForOtherSubjects(t *testing.T) {
	cmd := exec.Command(certformBin, "convert", "cfssl", "-")
	cmd.Stdin = strings.NewReader(`{"CN": "web.example", "hosts": ["web.example"]}`)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "certform: hint: pass --signer-name") {
		t.Errorf("want an error with a hint to pass --signer-name, got %v\n%s", err, out)
	}
}

func TestValidate(t *testing.T) {
	tests := map[string]struct {
		fixture  string
		args     []string
		wantCode int
		want     []string
	}{
		"valid":         {fixture: "../../config/testdata/valid/full.hcl", wantCode: exitOK, want: []string{"The configuration is valid: 5 certificate(s), 3 CA bundle(s)."}},
		"invalid human": {fixture: "../../config/testdata/invalid/ecdsa-bad-size.hcl", wantCode: exitError, want: []string{"Error: Invalid key size", "on main.hcl line 10, in certificate \"a\":", "An ecdsa key is 256, 384 or 521 bits, not 255."}},
		"invalid json":  {fixture: "../../config/testdata/invalid/ecdsa-bad-size.hcl", args: []string{"--json"}, wantCode: exitError, want: []string{`"valid": false`, `"summary": "Invalid key size"`, `"line": 10`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(tc.fixture)
			if err != nil {
				t.Fatal(err)
			}
			dir := writeConfig(t, string(src))
			for _, f := range []string{"ca.crt", "leaf.crt"} {
				data, _ := os.ReadFile(filepath.Join("../../config/testdata", f))
				os.WriteFile(filepath.Join(dir, f), data, 0o644)
			}
			r := certform(t, dir, "", append([]string{"validate"}, tc.args...)...)
			if r.code != tc.wantCode {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.wantCode, r)
			}
			mustContain(t, r, tc.want...)
		})
	}
}

func TestFmt(t *testing.T) {
	ugly := "certificate \"a\" {\ncommon_name=\"x\"\n}\n"
	pretty := "certificate \"a\" {\n  common_name = \"x\"\n}\n"
	dir := writeConfig(t, ugly)
	path := filepath.Join(dir, "main.hcl")
	r := certform(t, dir, "", "fmt", "--check", "--diff")
	if r.code != exitFmtCheck || !strings.Contains(r.stdout, "-common_name=\"x\"\n+  common_name = \"x\"") {
		t.Errorf("fmt --check --diff: want exit 3 and the diff\n%s", r)
	}
	if got, _ := os.ReadFile(path); string(got) != ugly {
		t.Error("fmt --check changed the file")
	}
	if r := certform(t, dir, "", "fmt"); r.code != exitOK {
		t.Errorf("fmt: %s", r)
	}
	if got, _ := os.ReadFile(path); string(got) != pretty {
		t.Errorf("formatted file = %q, want %q", got, pretty)
	}
	if r := certform(t, dir, "", "fmt", "--check"); r.code != exitOK || r.stdout != "" {
		t.Errorf("fmt --check on a formatted file: %s", r)
	}
}
