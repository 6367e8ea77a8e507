package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/testcluster"
)

// manualIssue does the task page's workflow by hand with client-go: a key
// and CSR (cfssl genkey), the CSR object (kubectl apply), approval (kubectl
// certificate approve), and the certificate from its status.
func manualIssue(t *testing.T, c *testcluster.Cluster, name string, req pki.Request, usages []string) (keyPEM, certPEM []byte) {
	t.Helper()
	key, _ := pki.GenerateKey(pki.KeySpec{Algorithm: pki.ECDSA, Size: 256})
	csrPEM, err := pki.CreateCSR(key, req)
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := c.AdminClient()
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	ctx := context.Background()
	obj := &certv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: name + "-" + time.Now().Format("150405.000000")},
		Spec: certv1.CertificateSigningRequestSpec{Request: csrPEM, SignerName: "kubernetes.io/kubelet-serving"}}
	for _, u := range usages {
		obj.Spec.Usages = append(obj.Spec.Usages, certv1.KeyUsage(u))
	}
	obj, err = csrs.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	obj.Status.Conditions = append(obj.Status.Conditions, certv1.CertificateSigningRequestCondition{Type: certv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "Manual", Message: "by hand"})
	if _, err := csrs.UpdateApproval(ctx, obj.Name, obj, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForCSRs(t, c.AdminKubeconfig, "", "the signer issuing "+obj.Name, func(list []*certv1.CertificateSigningRequest) bool {
		for _, csr := range list {
			if csr.UID == obj.UID && len(csr.Status.Certificate) > 0 {
				certPEM = csr.Status.Certificate
			}
		}
		return certPEM != nil
	})
	keyPEM, _ = pki.EncodePrivateKey(key, pki.PKCS8)
	return keyPEM, certPEM
}

// TestImportFromManualWorkflow adopts a key and certificate made the task
// page's way into examples/quickstart without reissuing.
func TestImportFromManualWorkflow(t *testing.T) {
	c := sharedCluster(t)
	seed := pki.Request{Hosts: []string{"my-svc.my-namespace.svc.cluster.local", "my-pod.my-namespace.pod.cluster.local", "192.0.2.24", "10.0.34.2"}}
	seed.Subject.CommonName, seed.Subject.Organization = "system:node:my-pod.my-namespace.pod.cluster.local", []string{"system:nodes"}
	usages := []string{"digital signature", "key encipherment", "server auth"}
	keyPEM, certPEM := manualIssue(t, c, "manual", seed, usages)
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "server-key.pem"), keyPEM, 0o600)
	os.WriteFile(filepath.Join(work, "server.crt"), certPEM, 0o644)
	other := seed
	other.Hosts = []string{"elsewhere.my-namespace.svc.cluster.local"}
	otherKey, otherCert := manualIssue(t, c, "other", other, usages)
	os.WriteFile(filepath.Join(work, "other-key.pem"), otherKey, 0o600)
	os.WriteFile(filepath.Join(work, "other.crt"), otherCert, 0o644)

	dir := copyDir(t, "../../examples/quickstart")
	run := func(key, cert string) result {
		return certform(t, dir, c.AdminKubeconfig, "import", "certificate.my-svc", "--key", filepath.Join(work, key), "--cert", filepath.Join(work, cert))
	}
	tests := []struct {
		name, key, cert string
		want            []string
	}{
		{"key of another certificate", "other-key.pem", "server.crt", []string{"the key is not the certificate's key"}},
		{"certificate for other hosts", "other-key.pem", "other.crt", []string{"does not satisfy certificate.my-svc", `DNS SANs are ["elsewhere.my-namespace.svc.cluster.local"]`, "IP SANs"}},
	}
	for _, tc := range tests {
		if r := run(tc.key, tc.cert); r.code != exitError {
			t.Errorf("%s: want exit 1\n%s", tc.name, r)
		} else {
			mustContain(t, r, tc.want...)
		}
	}
	r := run("server-key.pem", "server.crt")
	if r.code != exitOK {
		t.Fatalf("import\n%s", r)
	}
	mustContain(t, r, "Imported certificate.my-svc")
	if got := mustRead(t, filepath.Join(dir, "out/server.crt")); string(got) != string(certPEM) {
		t.Error("the imported certificate was not written to the block's cert_file")
	}
	if st, _ := os.Stat(filepath.Join(dir, "out/server-key.pem")); st.Mode().Perm() != 0o600 {
		t.Errorf("imported key mode %o", st.Mode().Perm())
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after import: want no changes (no reissue)\n%s", r)
	}
	if r := run("server-key.pem", "server.crt"); r.code != exitError || !strings.Contains(r.stderr, "already in state") {
		t.Errorf("second import: want a refusal\n%s", r)
	}
}

// TestStatus lists certificates with their renewal dates; --check exits 3
// once one is due.
func TestStatus(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("fresh", true)+strings.Replace(clientCert("due", true), "expiration_seconds = 3600", "expiration_seconds = 3600\n  renew_before_percentage = 99", 1))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--target", "certificate.fresh"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	if r := certform(t, dir, "", "status", "--check"); r.code != exitOK {
		t.Errorf("status --check with nothing due: want 0\n%s", r)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	r := certform(t, dir, "", "status", "--check")
	if r.code != exitStatusCheck {
		t.Errorf("status --check with a due certificate: want 3\n%s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "certificate.due") || !strings.Contains(lines[1], "renewal-due") || !strings.Contains(lines[2], " ok") {
		t.Errorf("status is not sorted by urgency, or lacks the due marker:\n%s", r.stdout)
	}
	mustContain(t, certform(t, dir, "", "status", "--json"), `"address": "certificate.due"`, `"due": true`, `"files": "ok"`)
}
