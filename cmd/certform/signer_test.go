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
			if csr.Spec.SignerName != tamperSigner || !kube.IsApproved(csr) || len(csr.Status.Certificate) > 0 || tried[csr.UID] == csr.ResourceVersion {
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
