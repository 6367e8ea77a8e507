package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/pki"
)

// TestSecretAndOutputFiles writes a kubernetes.io/tls Secret, a CA file
// from a bundle and the CSR file; a workload-style client loads the Secret,
// a real handshake trusts only its ca.crt; drift in the Secret or the files
// is planned as an update and repaired without reissuing.
func TestSecretAndOutputFiles(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "secret-ns")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "signer.crt"), mustRead(t, c.SignerCAFile), 0o644)
	cfg := `
ca_bundle "cluster" {
  source { file = "signer.crt" }
}

certificate "web" {
  common_name  = "system:node:web"
  hosts        = ["127.0.0.1"]
  subject { organization = ["system:nodes"] }
  signer_name  = "kubernetes.io/kubelet-serving"
  usages       = ["digital signature", "server auth"]
  self_approve = true
  output {
    key_file  = "web.key"
    cert_file = "web.crt"
    ca_file   = "ca.crt"
    ca_bundle = ca_bundle.cluster
    csr_file  = "web.csr"
  }
  secret {
    namespace = "secret-ns"
    name      = "web-tls"
  }
}
`
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644)
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	if got := mustRead(t, filepath.Join(dir, "ca.crt")); string(got) != string(mustRead(t, c.SignerCAFile)) {
		t.Error("ca_file does not hold the bundle")
	}
	csr, err := pki.ParseCSRPEM(mustRead(t, filepath.Join(dir, "web.csr")))
	if err != nil || csr.CheckSignature() != nil {
		t.Errorf("csr_file: %v", err)
	}
	secrets := clientsetFor(t, c.AdminKubeconfig).CoreV1().Secrets("secret-ns")
	sec, err := secrets.Get(context.Background(), "web-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sec.Type != "kubernetes.io/tls" {
		t.Errorf("Secret type %q", sec.Type)
	}
	if _, err := tls.X509KeyPair(sec.Data["tls.crt"], sec.Data["tls.key"]); err != nil {
		t.Fatalf("a workload cannot load the Secret: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(sec.Data["ca.crt"]) {
		t.Fatal("the Secret's ca.crt holds no certificate")
	}
	keyPEM := mustRead(t, filepath.Join(dir, "web.key"))
	os.WriteFile(filepath.Join(dir, "pair.crt"), sec.Data["tls.crt"], 0o644)
	os.WriteFile(filepath.Join(dir, "pair.key"), sec.Data["tls.key"], 0o600)
	handshake(t, filepath.Join(dir, "pair.crt"), filepath.Join(dir, "pair.key"), roots)

	serial := readState(t, dir).Certificates["certificate.web"].SerialNumber
	// Drift: the Secret deleted, the CSR file removed.
	if err := secrets.Delete(context.Background(), "web-tls", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "web.csr"))
	r := certform(t, dir, c.AdminKubeconfig, "plan", "--json")
	for _, want := range []string{`"action": "update"`, "secret secret-ns/web-tls was deleted outside certform", "csr file web.csr is missing"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q\n%s", want, r.stdout)
		}
	}
	body := strings.Join(strings.Split(string(keyPEM), "\n")[1:3], "")
	if strings.Contains(r.stdout, "PRIVATE KEY") || strings.Contains(r.stdout, body[:20]) {
		t.Error("the plan shows key material")
	}
	r = certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("apply repairing drift\n%s", r)
	}
	mustContain(t, r, "certificate.web: updated (csr file web.csr is missing or was modified outside certform; secret secret-ns/web-tls was deleted outside certform)")
	if _, err := secrets.Get(context.Background(), "web-tls", metav1.GetOptions{}); err != nil {
		t.Errorf("Secret not restored: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "web.csr")); err != nil {
		t.Errorf("csr file not restored: %v", err)
	}
	if got := readState(t, dir).Certificates["certificate.web"].SerialNumber; got != serial {
		t.Errorf("repairing outputs reissued the certificate (serial %s → %s)", serial, got)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after repair\n%s", r)
	}

	// Dropping the secret block removes the Secret.
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(strings.Replace(cfg, `  secret {
    namespace = "secret-ns"
    name      = "web-tls"
  }
`, "", 1)), 0o644)
	r = certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
	mustContain(t, r, "secret secret-ns/web-tls is no longer configured")
	if _, err := secrets.Get(context.Background(), "web-tls", metav1.GetOptions{}); err == nil {
		t.Error("the Secret is still there after its block was removed")
	}
}

// TestSecretMovedWithReissue renames a certificate's Secret in the same
// change that forces a reissue: the new Secret holds the new pair, the old
// one (which certform created) is deleted, and state forgets it only then.
func TestSecretMovedWithReissue(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "secret-move")
	cfg := func(host, name string) string {
		return `
certificate "web" {
  common_name  = "system:node:web"
  hosts        = ["` + host + `"]
  subject { organization = ["system:nodes"] }
  signer_name  = "kubernetes.io/kubelet-serving"
  usages       = ["digital signature", "server auth"]
  self_approve = true
  secret {
    namespace = "secret-move"
    name      = "` + name + `"
  }
}
`
	}
	dir := writeConfig(t, cfg("127.0.0.1", "old-tls"))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg("127.0.0.2", "new-tls")), 0o644)
	r := certform(t, dir, c.AdminKubeconfig, "plan")
	mustContain(t, r, "must be replaced", "secret-move/old-tls")
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply moving the Secret with a reissue\n%s", r)
	}
	secrets := clientsetFor(t, c.AdminKubeconfig).CoreV1().Secrets("secret-move")
	if _, err := secrets.Get(context.Background(), "new-tls", metav1.GetOptions{}); err != nil {
		t.Errorf("the new Secret: %v", err)
	}
	if _, err := secrets.Get(context.Background(), "old-tls", metav1.GetOptions{}); err == nil {
		t.Error("the old Secret, which certform created, is left behind after the move")
	}
	if rec := readState(t, dir).Certificates["certificate.web"]; rec.Secret == nil || rec.Secret.Name != "new-tls" {
		t.Errorf("state records Secret %+v, want secret-move/new-tls", rec.Secret)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after the move\n%s", r)
	}
}
