package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/pki"
)

// bundleConfig publishes the PEM files named in sources to ConfigMap
// "trust" in each of namespaces.
func bundleConfig(sources []string, namespaces ...string) string {
	var src strings.Builder
	for _, s := range sources {
		fmt.Fprintf(&src, "  source { file = %q }\n", s)
	}
	return fmt.Sprintf(`
ca_bundle "trust" {
%s  configmap {
    namespaces = [%s]
    name       = "trust"
  }
}
`, src.String(), `"`+strings.Join(namespaces, `", "`)+`"`)
}

func ensureNamespaces(t *testing.T, kubeconfig string, names ...string) {
	t.Helper()
	cs := clientsetFor(t, kubeconfig)
	for _, ns := range names {
		_, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
}

// publishedCAs returns the subjects of the CAs in ConfigMap ns/trust.
func publishedCAs(t *testing.T, kubeconfig, ns string) ([]string, *x509.CertPool) {
	t.Helper()
	cm, err := clientsetFor(t, kubeconfig).CoreV1().ConfigMaps(ns).Get(context.Background(), "trust", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("ConfigMap %s/trust: %v", ns, err)
	}
	certs, err := pki.ParseCertificatesPEM([]byte(cm.Data["ca.crt"]))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	var subjects []string
	for _, c := range certs {
		subjects = append(subjects, c.Subject.CommonName)
		pool.AddCert(c)
	}
	return subjects, pool
}

// TestBundlePublishChangeDelete publishes a bundle to three namespaces,
// changes a source (the plan names exactly the added CA), proves the trust
// with a real TLS handshake, and deletes exactly its ConfigMaps when the
// block goes.
func TestBundlePublishChangeDelete(t *testing.T) {
	c := sharedCluster(t)
	nss := []string{"bundle-a", "bundle-b", "bundle-c"}
	ensureNamespaces(t, c.AdminKubeconfig, nss...)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "signer.crt"), mustRead(t, c.SignerCAFile), 0o644)
	extra := newTestSigner(t, c.AdminKubeconfig)
	os.WriteFile(filepath.Join(dir, "extra.crt"), pki.EncodeCertificates(extra.ca()), 0o644)
	server := strings.Replace(clientCert("server", true), `"kubernetes.io/kube-apiserver-client"`, `"kubernetes.io/kubelet-serving"`, 1)
	server = strings.Replace(server, `common_name  = "server"`, `common_name  = "system:node:server"`+"\n  hosts = [\"127.0.0.1\"]", 1)
	server = strings.Replace(server, `subject { organization = ["certform-tests"] }`, `subject { organization = ["system:nodes"] }`, 1)
	server = strings.Replace(server, `usages       = ["digital signature", "client auth"]`, `usages       = ["digital signature", "server auth"]`, 1)
	write := func(bundle string) {
		os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(server+bundle), 0o644)
	}

	write(bundleConfig([]string{"signer.crt"}, nss...))
	r := certform(t, dir, c.AdminKubeconfig, "plan")
	mustContain(t, r, "ca_bundle.trust will be published", "+ ConfigMap bundle-c/trust", "CA bundle targets: 3 to publish, 0 to update, 0 to remove.")
	r = certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	mustContain(t, r, "ca_bundle.trust: published ConfigMap bundle-a/trust", "ca_bundle.trust: published ConfigMap bundle-c/trust")
	for _, ns := range nss {
		if got, _ := publishedCAs(t, c.AdminKubeconfig, ns); len(got) != 1 || got[0] != "certform-test-signer-ca" {
			t.Errorf("%s/trust holds %v", ns, got)
		}
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after publishing: want no changes\n%s", r)
	}

	// A real handshake: a server with the issued pair, a client that trusts
	// only the published bundle.
	_, pool := publishedCAs(t, c.AdminKubeconfig, "bundle-b")
	handshake(t, filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"), pool)

	write(bundleConfig([]string{"signer.crt", "extra.crt"}, nss...))
	r = certform(t, dir, c.AdminKubeconfig, "plan", "--json")
	if n := strings.Count(r.stdout, `"subject": "CN=test signer"`); n != 3 {
		t.Errorf("the plan should add the new CA to each of 3 ConfigMaps, found it %d times\n%s", n, r.stdout)
	}
	if strings.Contains(r.stdout, `"removed": [
            {`) {
		t.Errorf("the plan removes a CA it should keep\n%s", r.stdout)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	if got, _ := publishedCAs(t, c.AdminKubeconfig, "bundle-a"); len(got) != 2 {
		t.Errorf("after adding a source: %v", got)
	}

	// An unrelated ConfigMap of the same name is not touched by the removal.
	cs := clientsetFor(t, c.AdminKubeconfig)
	ensureNamespaces(t, c.AdminKubeconfig, "bundle-other")
	cs.CoreV1().ConfigMaps("bundle-other").Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "trust"}}, metav1.CreateOptions{})
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(server), 0o644)
	r = certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
	if r.code != exitError {
		t.Fatalf("removing the bundle that certificate.server's CA is published in: want the trust guard\n%s", r)
	}
	mustContain(t, r, "certificate.server chains only to it", "--allow-trust-removal")
	r = certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--allow-trust-removal")
	if r.code != exitOK {
		t.Fatalf("apply without the bundle\n%s", r)
	}
	mustContain(t, r, "ca_bundle.trust will be removed", "0 to publish, 0 to update, 3 to remove.", "ca_bundle.trust: deleted ConfigMap bundle-b/trust")
	for _, ns := range nss {
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(context.Background(), "trust", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s/trust after the block was removed: %v", ns, err)
		}
	}
	if _, err := cs.CoreV1().ConfigMaps("bundle-other").Get(context.Background(), "trust", metav1.GetOptions{}); err != nil {
		t.Errorf("an unrelated ConfigMap was removed: %v", err)
	}
}

// handshake serves TLS with the pair and connects trusting only roots.
func handshake(t *testing.T, certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err == nil {
			conn.(*tls.Conn).Handshake()
			conn.Close()
		}
	}()
	conn, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS handshake trusting only the published bundle: %v", err)
	}
	conn.Close()
}

// TestBundleRotationOverlap: dropping the only CA a managed certificate
// chains to is refused; the overlap path (add the new CA, reissue, drop the
// old one) succeeds, and the reissued certificate is trusted by the bundle.
func TestBundleRotationOverlap(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "rotation")
	signer := newTestSigner(t, c.AdminKubeconfig)
	signer.start(t)

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "old.crt"), pki.EncodeCertificates(signer.ca()), 0o644)
	cert := `
certificate "svc" {
  common_name  = "127.0.0.1"
  hosts        = ["127.0.0.1"]
  signer_name  = "` + tamperSigner + `"
  usages       = ["digital signature", "server auth"]
  self_approve = true
  output {
    key_file  = "svc.key"
    cert_file = "svc.crt"
  }
}
`
	step := func(name string, sources []string, args ...string) result {
		t.Helper()
		os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cert+bundleConfig(sources, "rotation")), 0o644)
		return certform(t, dir, c.AdminKubeconfig, append([]string{"apply", "--auto-approve", "--wait-timeout=1m"}, args...)...)
	}
	if r := step("publish the old CA", []string{"old.crt"}); r.code != exitOK {
		t.Fatalf("first apply\n%s", r)
	}
	os.WriteFile(filepath.Join(dir, "new.crt"), pki.EncodeCertificates(signer.rotate("new signer")), 0o644)

	r := step("swap CAs at once", []string{"new.crt"})
	if r.code != exitError {
		t.Fatalf("dropping the old CA while certificate.svc chains only to it: want a refusal\n%s", r)
	}
	mustContain(t, r, `would drop CA CN=test signer`, "certificate.svc chains only to it", "rotate with an overlap")
	if got, _ := publishedCAs(t, c.AdminKubeconfig, "rotation"); len(got) != 1 || got[0] != "test signer" {
		t.Errorf("a refused plan changed the bundle: %v", got)
	}

	if r := step("overlap: both CAs", []string{"old.crt", "new.crt"}); r.code != exitOK {
		t.Fatalf("adding the new CA\n%s", r)
	}
	if r := step("reissue under the new CA", []string{"old.crt", "new.crt"}, "--replace", "certificate.svc"); r.code != exitOK {
		t.Fatalf("reissue\n%s", r)
	}
	if r := step("drop the old CA", []string{"new.crt"}); r.code != exitOK {
		t.Fatalf("dropping the old CA after the reissue\n%s", r)
	}
	got, pool := publishedCAs(t, c.AdminKubeconfig, "rotation")
	if len(got) != 1 || got[0] != "new signer" {
		t.Errorf("bundle after rotation: %v", got)
	}
	handshake(t, filepath.Join(dir, "svc.crt"), filepath.Join(dir, "svc.key"), pool)
}

// TestBundleSelectorSecretTrustBundleFiles: a bundle from a
// ClusterTrustBundle published as a Secret to the namespaces a selector
// matches; a certificate with a chain file and custom file modes.
func TestBundleSelectorSecretTrustBundleFiles(t *testing.T) {
	c := sharedCluster(t)
	cs := clientsetFor(t, c.AdminKubeconfig)
	ctx := context.Background()
	for _, ns := range []string{"sel-a", "sel-b", "sel-other"} {
		team := "blue"
		if ns == "sel-other" {
			team = "red"
		}
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"team": team}}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	signer := newTestSigner(t, c.AdminKubeconfig)
	ctb := &certv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "example.com:ctb:one"},
		Spec: certv1.ClusterTrustBundleSpec{SignerName: "example.com/ctb", TrustBundle: string(pki.EncodeCertificates(signer.ca()))}}
	if _, err := cs.CertificatesV1().ClusterTrustBundles().Create(ctx, ctb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	dir := writeConfig(t, `
ca_bundle "blue" {
  source {
    cluster_trust_bundle { signer_name = "example.com/ctb" }
  }
  source { pem = file("signer.crt") }
  secret {
    namespace_selector = "team=blue"
    name               = "blue-trust"
    key                = "bundle.pem"
  }
}

certificate "files" {
  common_name  = "files"
  signer_name  = "kubernetes.io/kube-apiserver-client"
  usages       = ["digital signature", "client auth"]
  self_approve = true
  output {
    key_file      = "files.key"
    cert_file     = "files.crt"
    chain_file    = "files-chain.pem"
    ca_bundle     = ca_bundle.blue
    ca_file       = "files-ca.pem"
    file_mode     = "0640"
    key_file_mode = "0400"
  }
}
`)
	os.WriteFile(filepath.Join(dir, "signer.crt"), mustRead(t, c.SignerCAFile), 0o644)
	r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	mustContain(t, r, "+ Secret sel-a/blue-trust", "+ Secret sel-b/blue-trust")
	if strings.Contains(r.stdout, "sel-other") {
		t.Errorf("published to a namespace the selector does not match\n%s", r)
	}
	sec, err := cs.CoreV1().Secrets("sel-b").Get(ctx, "blue-trust", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if certs, err := pki.ParseCertificatesPEM(sec.Data["bundle.pem"]); err != nil || len(certs) != 2 {
		t.Errorf("bundle Secret holds %d CAs (%v), want 2 (the ClusterTrustBundle's and the file's)", len(certs), err)
	}
	for file, mode := range map[string]os.FileMode{"files.key": 0o400, "files.crt": 0o640, "files-chain.pem": 0o640, "files-ca.pem": 0o640} {
		if st, err := os.Stat(filepath.Join(dir, file)); err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v (err %v), want %o", file, st.Mode().Perm(), err, mode)
		}
	}
	chain, _ := pki.ParseCertificatesPEM(mustRead(t, filepath.Join(dir, "files-chain.pem")))
	if len(chain) != 3 || chain[0].Subject.CommonName != "files" {
		t.Errorf("chain file holds %d certificates, want the leaf and the 2 CAs", len(chain))
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after apply\n%s", r)
	}
	// A namespace that starts matching the selector gets the Secret too.
	ns, _ := cs.CoreV1().Namespaces().Get(ctx, "sel-other", metav1.GetOptions{})
	ns.Labels["team"] = "blue"
	if _, err := cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, certform(t, dir, c.AdminKubeconfig, "plan"), "+ Secret sel-other/blue-trust", "1 to publish, 0 to update, 0 to remove.")
}

// TestDestroyWithBundleItsCertificateChainsTo: destroy removes a
// certificate and the bundle holding its only CA together; the trust guard
// protects certificates that stay, not the ones being destroyed.
func TestDestroyWithBundleItsCertificateChainsTo(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "destroy-trust")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "signer.crt"), mustRead(t, c.SignerCAFile), 0o644)
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(clientCert("doomed", true)+bundleConfig([]string{"signer.crt"}, "destroy-trust")), 0o644)
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	r := certform(t, dir, c.AdminKubeconfig, "destroy", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("destroy: want it to remove the certificate and its bundle together\n%s", r)
	}
	if strings.Contains(r.stdout+r.stderr, "would remove trust") {
		t.Errorf("destroy mentions the trust guard\n%s", r)
	}
	cm, err := clientsetFor(t, c.AdminKubeconfig).CoreV1().ConfigMaps("destroy-trust").Get(context.Background(), "trust", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("ConfigMap destroy-trust/trust after destroy: %v %v", cm.Name, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "doomed.key")); !os.IsNotExist(err) {
		t.Errorf("doomed.key after destroy: %v", err)
	}
}
