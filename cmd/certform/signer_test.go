package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
)

const tamperSigner = "example.com/test-signer"

// testSigner plays a third-party signer: it signs approved CSRs for its
// signer name through the /status subresource, as a signer controller
// would, optionally with a public key that is not the requester's.
type testSigner struct {
	name    string // the signer name it signs for
	csrs    kube.CSRs
	current atomic.Pointer[signerCA] // the CA it signs with now
	forged  atomic.Bool              // sign a different key than the request's
}

type signerCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newTestSigner(t *testing.T, kubeconfig string) *testSigner {
	return newTestSignerFor(t, kubeconfig, tamperSigner)
}

// newTestSignerFor returns a test signer for the signer name.
func newTestSignerFor(t *testing.T, kubeconfig, name string) *testSigner {
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	s := &testSigner{name: name, csrs: cs.CertificatesV1().CertificateSigningRequests()}
	s.rotate("test signer")
	return s
}

// rotate makes the signer sign with a new CA named cn, and returns it.
func (s *testSigner) rotate(cn string) *x509.Certificate {
	key, _ := pki.GenerateKey(pki.KeySpec{Algorithm: pki.ECDSA, Size: 256})
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	ca, _ := x509.ParseCertificate(der)
	s.current.Store(&signerCA{cert: ca, key: key})
	return ca
}

func (s *testSigner) ca() *x509.Certificate { return s.current.Load().cert }

// start runs the signer until the test ends; the test fails if signing
// failed.
func (s *testSigner) start(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("test signer: %v", err)
		}
	})
}

// run signs every approved, unsigned CSR of its signer until ctx ends, and
// returns what failed.
func (s *testSigner) run(ctx context.Context) error {
	w := kube.NewWatcher(s.csrs, "")
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		w.Run(ctx)
	}()
	defer func() { <-watching }()
	var errs []error
	tried := map[types.UID]string{} // UID → resourceVersion signed or failed
	for {
		list, changed := w.Snapshot()
		for _, csr := range list {
			if csr.Spec.SignerName != s.name || !kube.IsApproved(csr) || len(csr.Status.Certificate) > 0 || tried[csr.UID] == csr.ResourceVersion {
				continue
			}
			tried[csr.UID] = csr.ResourceVersion
			if err := s.sign(ctx, csr.DeepCopy()); err != nil && ctx.Err() == nil {
				errs = append(errs, fmt.Errorf("signing CSR %s: %w", csr.Name, err))
			}
		}
		select {
		case <-ctx.Done():
			return errors.Join(errs...)
		case <-changed:
		}
	}
}

// sign issues csr's certificate through the /status subresource.
func (s *testSigner) sign(ctx context.Context, csr *certv1.CertificateSigningRequest) error {
	req, err := pki.ParseCSRPEM(csr.Spec.Request)
	if err != nil {
		return err
	}
	pub := req.PublicKey
	if s.forged.Load() {
		other, _ := pki.GenerateKey(pki.KeySpec{Algorithm: pki.ECDSA, Size: 256})
		pub = other.Public()
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: req.Subject, DNSNames: req.DNSNames, IPAddresses: req.IPAddresses,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour)}
	ca := s.current.Load()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		return err
	}
	cert, _ := x509.ParseCertificate(der)
	csr.Status.Certificate = pki.EncodeCertificates(cert)
	_, err = s.csrs.UpdateStatus(ctx, csr, metav1.UpdateOptions{})
	return err
}

// TestForgedCertificateRejected: a signer returns a certificate for a key
// that is not ours. apply refuses it and leaves the previous files as they
// were.
func TestForgedCertificateRejected(t *testing.T) {
	c := sharedCluster(t)
	signer := newTestSigner(t, c.AdminKubeconfig)
	signer.start(t)

	dir := writeConfig(t, `
certificate "forged" {
  common_name  = "forged.example"
  hosts        = ["forged.example"]
  signer_name  = "`+tamperSigner+`"
  usages       = ["digital signature", "server auth"]
  self_approve = true
  output {
    key_file  = "forged.key"
    cert_file = "forged.crt"
  }
}
`)
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=1m"); r.code != exitOK {
		t.Fatalf("apply with an honest signer\n%s", r)
	}
	keyBefore := mustRead(t, filepath.Join(dir, "forged.key"))
	certBefore := mustRead(t, filepath.Join(dir, "forged.crt"))

	signer.forged.Store(true)
	r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=1m", "--replace", "certificate.forged")
	if r.code != exitError {
		t.Fatalf("apply with a forging signer: want exit 1\n%s", r)
	}
	mustContain(t, r, "issued certificate rejected: its public key is not ours",
		"certform: hint: collecting the same CSR again gets the same certificate", "then submit a new CSR with certform apply --replace certificate.forged")
	if n := strings.Count(r.stdout+r.stderr, "its public key is not ours"); n != 1 {
		t.Errorf("the rejection is shown %d times, want once\n%s", n, r)
	}
	if !bytes.Equal(keyBefore, mustRead(t, filepath.Join(dir, "forged.key"))) || !bytes.Equal(certBefore, mustRead(t, filepath.Join(dir, "forged.crt"))) {
		t.Error("a rejected certificate changed the files in place")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("partial output left behind: %s", e.Name())
		}
	}
}

// TestApprovedCSRNoOneSigns: a CSR approved for a signer that never signs
// is reported as approved and waiting for that signer, with the Warning
// events left on it, and the timeout no longer asks for an approval that
// was given.
func TestApprovedCSRNoOneSigns(t *testing.T) {
	c := sharedCluster(t)
	const nobody = "example.com/nobody-signs"
	cs := clientsetFor(t, c.AdminKubeconfig)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := cs.CertificatesV1().CertificateSigningRequests().Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	dir := writeConfig(t, `
certificate "human" {
  common_name = "human.example"
  signer_name = "`+nobody+`"
  usages      = ["digital signature", "client auth"]
  output {
    key_file  = "human.key"
    cert_file = "human.crt"
  }
}

certificate "self" {
  common_name  = "self.example"
  signer_name  = "`+nobody+`"
  usages       = ["digital signature", "client auth"]
  self_approve = true
  output {
    key_file  = "self.key"
    cert_file = "self.crt"
  }
}
`)
	cmd, out := startCertform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=20s")
	// Play the approver of certificate.human: once its CSR exists, a signer
	// complains on it and a person approves it.
	var human string
	for ev := range w.ResultChan() {
		csr, ok := ev.Object.(*certv1.CertificateSigningRequest)
		if !ok || csr.Spec.SignerName != nobody || csr.Annotations[kube.AnnotationAddr] != "certificate.human" {
			continue
		}
		human = csr.Name
		now := metav1.Now()
		_, err := cs.CoreV1().Events("default").Create(ctx, &corev1.Event{
			ObjectMeta: metav1.ObjectMeta{Name: csr.Name + ".nosigner", Namespace: "default"},
			InvolvedObject: corev1.ObjectReference{Kind: "CertificateSigningRequest", APIVersion: "certificates.k8s.io/v1",
				Name: csr.Name, UID: csr.UID},
			Type: corev1.EventTypeWarning, Reason: "SignerUnavailable", Message: "no issuer is configured for this signer",
			Count: 3, FirstTimestamp: now, LastTimestamp: now, Source: corev1.EventSource{Component: "test-signer"},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kube.Approve(ctx, cs.CertificatesV1().CertificateSigningRequests(), csr); err != nil {
			t.Fatal(err)
		}
		break
	}
	err = cmd.Wait()
	r := result{stdout: out.String()}
	if err == nil {
		t.Fatalf("apply with no signer: want a failure\n%s", r)
	}
	mustContain(t, r,
		"CSR "+human+" approved, waiting for the signer "+nobody+"; its Warning events: SignerUnavailable: no issuer is configured for this signer (x3)",
		"certificate.human: failed: timed out after 20s: CSR "+human+" is approved, waiting for the signer "+nobody,
		"certificate.self: failed: timed out after 20s: CSR ")
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.Contains(line, "timed out") && strings.Contains(line, "kubectl certificate approve") {
			t.Errorf("the timeout asks to approve a CSR that is approved: %s", line)
		}
	}
}

// TestIssuerCheckedAgainstSignerTrustBundle: with no ca_bundle, the issued
// certificate must still chain to the CAs its signer publishes in
// ClusterTrustBundles; a certificate for our key from another CA (as anyone
// who can write /status could make) is refused. A signer that publishes
// nothing is named in a warning rather than trusted silently.
func TestIssuerCheckedAgainstSignerTrustBundle(t *testing.T) {
	c := sharedCluster(t)
	const name = "example.com/issuer-check"
	signer := newTestSignerFor(t, c.AdminKubeconfig, name)
	ctx := context.Background()
	signer.start(t)
	ctb := &certv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "example.com:issuer-check:ca"},
		Spec: certv1.ClusterTrustBundleSpec{SignerName: name, TrustBundle: string(pki.EncodeCertificates(signer.ca()))}}
	if _, err := clientsetFor(t, c.AdminKubeconfig).CertificatesV1().ClusterTrustBundles().Create(ctx, ctb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	dir := writeConfig(t, `
certificate "checked" {
  common_name  = "checked.example"
  hosts        = ["checked.example"]
  signer_name  = "`+name+`"
  usages       = ["digital signature", "server auth"]
  self_approve = true
  output {
    key_file  = "checked.key"
    cert_file = "checked.crt"
  }
}
`)
	r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=1m")
	if r.code != exitOK {
		t.Fatalf("apply with the signer's own CA\n%s", r)
	}
	if strings.Contains(r.stdout, "not verified") {
		t.Errorf("the issuer was checked, yet apply says it was not\n%s", r)
	}
	certBefore := mustRead(t, filepath.Join(dir, "checked.crt"))

	signer.rotate("rogue CA") // signs our key, but under a CA the signer does not publish
	r = certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=1m", "--replace", "certificate.checked")
	if r.code != exitError {
		t.Fatalf("apply with a certificate from another CA: want exit 1\n%s", r)
	}
	mustContain(t, r, "issued certificate rejected: it does not chain to the CAs its signer publishes in ClusterTrustBundles")
	if !bytes.Equal(certBefore, mustRead(t, filepath.Join(dir, "checked.crt"))) {
		t.Error("a rejected certificate replaced the previous one")
	}

	// The built-in signers publish no ClusterTrustBundle in the test
	// cluster: apply says it could not check the issuer.
	dir = writeConfig(t, clientCert("unchecked", true))
	r = certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	mustContain(t, r, "warning: the issuer of certificates from signer kubernetes.io/kube-apiserver-client is not verified: no ClusterTrustBundle publishes its CA")
}

// TestSignerWarningsFollowed: a Warning event a signer leaves on a CSR
// after apply said it waits for that signer is shown as it appears, not
// only when the wait times out.
func TestSignerWarningsFollowed(t *testing.T) {
	c := sharedCluster(t)
	const nobody = "example.com/nobody-signs"
	dir := writeConfig(t, `
certificate "late" {
  common_name  = "late.example"
  signer_name  = "`+nobody+`"
  usages       = ["digital signature", "client auth"]
  self_approve = true
  output {
    key_file  = "late.key"
    cert_file = "late.crt"
  }
}
`)
	p := startLines(t, certformCmd(dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=90s"))
	p.waitFor(t, "approved, waiting for the signer "+nobody)
	cs := clientsetFor(t, c.AdminKubeconfig)
	ctx := context.Background()
	list, err := cs.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var csr *certv1.CertificateSigningRequest
	for i := range list.Items {
		if list.Items[i].Annotations[kube.AnnotationAddr] == "certificate.late" && list.Items[i].Spec.SignerName == nobody {
			csr = &list.Items[i]
		}
	}
	if csr == nil {
		t.Fatal("no CSR of certificate.late")
	}
	now := metav1.Now()
	_, err = cs.CoreV1().Events("default").Create(ctx, &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: csr.Name + ".late", Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "CertificateSigningRequest", APIVersion: "certificates.k8s.io/v1",
			Name: csr.Name, UID: csr.UID},
		Type: corev1.EventTypeWarning, Reason: "LateProblem", Message: "the signer found a problem after a while",
		Count: 1, FirstTimestamp: now, LastTimestamp: now, Source: corev1.EventSource{Component: "test-signer"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	line := p.waitFor(t, "its Warning events: LateProblem: the signer found a problem after a while")
	if !strings.HasPrefix(line, "certificate.late: CSR "+csr.Name+" approved, waiting for the signer") {
		t.Errorf("the late Warning event is not shown as progress: %s", line)
	}
}
