package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	certv1 "k8s.io/api/certificates/v1"

	"github.com/certform/certform/internal/pki"
)

// TestQuickstart issues the seed's certificate through the real signer.
// certform runs as a user who may create CSRs but not approve them; a
// second client, the cluster admin, approves as a person with kubectl would.
func TestQuickstart(t *testing.T) {
	c := sharedCluster(t)
	dir := copyDir(t, "../../examples/quickstart")

	if r := certform(t, dir, c.RestrictedKubeconfig, "plan", "--detailed-exitcode"); r.code != exitChanges {
		t.Fatalf("first plan: want exit 2 (changes)\n%s", r)
	} else {
		mustContain(t, r, "+ certificate.my-svc", "Plan: 1 to issue, 0 to renew, 0 to replace, 0 to update, 0 to delete.")
	}

	apply, out := startCertform(t, dir, c.RestrictedKubeconfig, "apply", "--auto-approve", "--wait-timeout=2m")
	name := waitForPending(t, c.AdminKubeconfig, dir, "my-svc")
	setCondition(t, c.AdminKubeconfig, name, certv1.CertificateApproved)
	if err := apply.Wait(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "kubectl certificate approve "+name) {
		t.Errorf("apply did not tell how to approve %s:\n%s", name, out.String())
	}

	keyPath, certPath := filepath.Join(dir, "out/server-key.pem"), filepath.Join(dir, "out/server.crt")
	st, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %o, want 600", st.Mode().Perm())
	}
	keyPEM, _ := os.ReadFile(keyPath)
	certPEM, _ := os.ReadFile(certPath)
	key, err := pki.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := pki.ParseCertificatesPEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	cert := chain[0]
	if !pki.KeyMatchesCertificate(key, cert) {
		t.Error("key does not match certificate")
	}
	if got, want := cert.Subject.CommonName, "system:node:my-pod.my-namespace.pod.cluster.local"; got != want {
		t.Errorf("CN = %q, want %q", got, want)
	}
	if !slices.Equal(cert.Subject.Organization, []string{"system:nodes"}) {
		t.Errorf("O = %q, want [system:nodes]", cert.Subject.Organization)
	}
	if want := []string{"my-svc.my-namespace.svc.cluster.local", "my-pod.my-namespace.pod.cluster.local"}; !slices.Equal(cert.DNSNames, want) {
		t.Errorf("DNS SANs = %q, want %q", cert.DNSNames, want)
	}
	if want := []net.IP{net.ParseIP("192.0.2.24"), net.ParseIP("10.0.34.2")}; len(cert.IPAddresses) != 2 ||
		!cert.IPAddresses[0].Equal(want[0]) || !cert.IPAddresses[1].Equal(want[1]) {
		t.Errorf("IP SANs = %v, want %v", cert.IPAddresses, want)
	}
	if pki.SpecOf(cert.PublicKey).String() != "ecdsa-256" {
		t.Errorf("key = %s, want ecdsa-256", pki.SpecOf(cert.PublicKey))
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.SignerCA)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("certificate does not chain to the signer CA: %v", err)
	}

	assertNoKeyMaterial(t, filepath.Join(dir, "certform.state.json"), keyPEM)
	if r := certform(t, dir, c.RestrictedKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("second plan: want exit 0 (no changes)\n%s", r)
	}
}

// assertNoKeyMaterial checks that a file holds no PEM private key and no
// part of the given key's encoding.
func assertNoKeyMaterial(t *testing.T, path string, keyPEM []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("PRIVATE KEY")) {
		t.Errorf("%s holds a PEM private key", path)
	}
	body := strings.Join(strings.Split(string(keyPEM), "\n")[1:3], "")
	if len(body) > 20 && bytes.Contains(data, []byte(body[:20])) {
		t.Errorf("%s holds part of the private key", path)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Errorf("%s is not JSON: %v", path, err)
	}
}
