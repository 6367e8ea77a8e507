package pki

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Expectation is everything an issued certificate must match.
type Expectation struct {
	PublicKey crypto.PublicKey // the key certform generated
	Request   Request
	Usages    []string
	Roots     *x509.CertPool // optional: the certificate must chain to one of these (the configured ca_bundle)
	// SignerRoots, optional, are the CAs the signer publishes (its
	// ClusterTrustBundles); the certificate must chain to one of these too.
	SignerRoots *x509.CertPool
	Now         time.Time
}

// ClockSkew is how far ahead of our clock an issued certificate's NotBefore
// may be. Signers such as cert-manager do not backdate, so on a runner whose
// clock is a little behind the signer's a fresh certificate would otherwise
// look not yet valid. kube-controller-manager backdates by 5 minutes for the
// same reason; we allow the same amount.
const ClockSkew = 5 * time.Minute

// VerifyIssued checks the certificate a signer returned (leaf first, then any
// chain it sent) against what was asked for. Every problem is reported, so a
// person sees all the ways the signer deviated at once.
func VerifyIssued(chain []*x509.Certificate, want Expectation) error {
	if len(chain) == 0 {
		return errors.New("the signer returned no certificate")
	}
	leaf := chain[0]
	var problems []string
	if ok, err := samePublicKey(leaf.PublicKey, want.PublicKey); err != nil || !ok {
		problems = append(problems, "its public key is not ours")
	}
	if leaf.Subject.CommonName != want.Request.Subject.CommonName {
		problems = append(problems, fmt.Sprintf("common name is %q, want %q", leaf.Subject.CommonName, want.Request.Subject.CommonName))
	}
	if !sameStrings(leaf.Subject.Organization, want.Request.Subject.Organization) {
		problems = append(problems, fmt.Sprintf("organization is %q, want %q", leaf.Subject.Organization, want.Request.Subject.Organization))
	}
	problems = append(problems, sanProblems(leaf, ClassifyHosts(want.Request.Hosts))...)
	if missing := missingUsages(leaf, want.Usages); len(missing) > 0 {
		problems = append(problems, "it lacks the usages "+strings.Join(missing, ", "))
	}
	now := want.Now
	if now.Before(leaf.NotBefore) && leaf.NotBefore.Sub(now) <= ClockSkew {
		now = leaf.NotBefore // within the allowed skew: judge it as of its start
	}
	switch {
	case now.Before(leaf.NotBefore):
		problems = append(problems, fmt.Sprintf("it is not valid yet (valid from %s, %s ahead of our clock; at most %s of clock skew is allowed)",
			leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotBefore.Sub(want.Now).Round(time.Second), ClockSkew))
	case now.After(leaf.NotAfter):
		problems = append(problems, fmt.Sprintf("it is not valid now (valid %s to %s)",
			leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339)))
	}
	if err := chainsTo(chain, want.Roots, now); err != nil {
		problems = append(problems, "it does not chain to the CA bundle: "+err.Error())
	}
	if err := chainsTo(chain, want.SignerRoots, now); err != nil {
		problems = append(problems, "it does not chain to the CAs its signer publishes in ClusterTrustBundles: "+err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("issued certificate rejected: %s", strings.Join(problems, "; "))
	}
	return nil
}

// chainsTo verifies the leaf against roots (nil: nothing to check), with
// the rest of chain as intermediates.
func chainsTo(chain []*x509.Certificate, roots *x509.CertPool, now time.Time) error {
	if roots == nil {
		return nil
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	return err
}

func sanProblems(leaf *x509.Certificate, want Hosts) []string {
	var problems []string
	check := func(kind string, got, want []string) {
		if !sameStrings(got, want) {
			problems = append(problems, fmt.Sprintf("%s SANs are %q, want %q", kind, got, want))
		}
	}
	check("DNS", leaf.DNSNames, want.DNSNames)
	check("IP", ipStrings(leaf.IPAddresses), ipStrings(want.IPAddresses))
	check("e-mail", leaf.EmailAddresses, want.EmailAddresses)
	var gotURIs, wantURIs []string
	for _, u := range leaf.URIs {
		gotURIs = append(gotURIs, u.String())
	}
	for _, u := range want.URIs {
		wantURIs = append(wantURIs, u.String())
	}
	check("URI", gotURIs, wantURIs)
	return problems
}

// KeyMatchesCertificate reports whether key is the private half of cert's
// public key.
func KeyMatchesCertificate(key crypto.Signer, cert *x509.Certificate) bool {
	ok, err := samePublicKey(key.Public(), cert.PublicKey)
	return err == nil && ok
}

func samePublicKey(a, b crypto.PublicKey) (bool, error) {
	da, err := x509.MarshalPKIXPublicKey(a)
	if err != nil {
		return false, err
	}
	db, err := x509.MarshalPKIXPublicKey(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(da, db), nil
}

// RequestMatches checks that a PEM PKCS#10 request found in the cluster was
// signed by the holder of pub and asks for req, so that an existing CSR
// object can be adopted as our own. Signatures are randomised, so the bytes
// of two requests for the same thing differ; this compares their meaning.
func RequestMatches(csrPEM []byte, pub crypto.PublicKey, req Request) error {
	csr, err := ParseCSRPEM(csrPEM)
	if err != nil {
		return fmt.Errorf("its request does not parse: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return errors.New("its request's signature does not verify")
	}
	if ok, err := samePublicKey(csr.PublicKey, pub); err != nil || !ok {
		return errors.New("its request is for another key")
	}
	if csr.Subject.String() != req.Subject.String() {
		return fmt.Errorf("its request is for subject %q, not %q", csr.Subject, req.Subject)
	}
	got := &x509.Certificate{DNSNames: csr.DNSNames, IPAddresses: csr.IPAddresses, EmailAddresses: csr.EmailAddresses, URIs: csr.URIs}
	if p := sanProblems(got, ClassifyHosts(req.Hosts)); len(p) > 0 {
		return errors.New("its request's " + strings.Join(p, "; "))
	}
	return nil
}
