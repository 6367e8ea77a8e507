package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
)

const tamperSigner = "example.com/test-signer"

// testSigner plays a third-party signer: it signs approved CSRs for its
// signer name through the /status subresource, as a signer controller
// would, optionally with a public key that is not the requester's.
type testSigner struct {
	csrs    kube.CSRs
	current atomic.Pointer[signerCA] // the CA it signs with now
	forged  atomic.Bool              // sign a different key than the request's
}

type signerCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newTestSigner(t *testing.T, kubeconfig string) *testSigner {
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	s := &testSigner{csrs: cs.CertificatesV1().CertificateSigningRequests()}
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

// run signs every approved, unsigned CSR of its signer until ctx ends.
func (s *testSigner) run(ctx context.Context, t *testing.T) {
	w, err := s.csrs.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Error(err)
		return
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		csr, ok := ev.Object.(*certv1.CertificateSigningRequest)
		if !ok || csr.Spec.SignerName != tamperSigner || !kube.IsApproved(csr) || len(csr.Status.Certificate) > 0 {
			continue
		}
		req, err := pki.ParseCSRPEM(csr.Spec.Request)
		if err != nil {
			t.Error(err)
			continue
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
			t.Error(err)
			continue
		}
		cert, _ := x509.ParseCertificate(der)
		csr.Status.Certificate = pki.EncodeCertificates(cert)
		if _, err := s.csrs.UpdateStatus(ctx, csr, metav1.UpdateOptions{}); err != nil && ctx.Err() == nil {
			t.Error(err)
		}
	}
}

// TestForgedCertificateRejected: a signer returns a certificate for a key
// that is not ours. apply refuses it and leaves the previous files as they
// were.
func TestForgedCertificateRejected(t *testing.T) {
	c := sharedCluster(t)
	signer := newTestSigner(t, c.AdminKubeconfig)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go signer.run(ctx, t)

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
	mustContain(t, r, "issued certificate rejected: its public key is not ours")
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
