package pki

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestClassifyHost(t *testing.T) {
	tests := map[string]struct{ host, want string }{
		"ipv4":            {"192.0.2.24", HostIP},
		"ipv6":            {"2001:db8::1", HostIP},
		"email":           {"ops@example.com", HostEmail},
		"uri":             {"spiffe://cluster.local/ns/a/sa/b", HostURI},
		"dns":             {"my-svc.my-namespace.svc.cluster.local", HostDNS},
		"wildcard":        {"*.example.com", HostDNS},
		"bare path":       {"/not-a-uri", HostDNS},
		"email with name": {"Ops <ops@example.com>", HostDNS},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ClassifyHost(tc.host); got != tc.want {
				t.Errorf("ClassifyHost(%q) = %s, want %s", tc.host, got, tc.want)
			}
		})
	}
}

// FuzzClassifyHost wants ClassifyHost, which skips the address and URI
// parsers for a name with neither @ nor a colon, to classify every host as
// asking every parser does.
func FuzzClassifyHost(f *testing.F) {
	for _, h := range []string{"192.0.2.24", "2001:db8::1", "ops@example.com", "spiffe://a/b", "a.example", "Ops <ops@example.com>", "a:b", "@", "x:"} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, host string) {
		want := HostDNS
		if net.ParseIP(host) != nil {
			want = HostIP
		} else if a, err := mail.ParseAddress(host); err == nil && a.Address == host {
			want = HostEmail
		} else if u, err := url.ParseRequestURI(host); err == nil && u.Scheme != "" {
			want = HostURI
		}
		if got := ClassifyHost(host); got != want {
			t.Errorf("ClassifyHost(%q) = %s, want %s", host, got, want)
		}
	})
}

func TestKeyRoundTrip(t *testing.T) {
	tests := map[string]KeySpec{
		"ecdsa p256 pkcs8": {Algorithm: ECDSA, Size: 256, Encoding: PKCS8},
		"ecdsa p384 sec1":  {Algorithm: ECDSA, Size: 384, Encoding: SEC1},
		"ecdsa p521":       {Algorithm: ECDSA, Size: 521, Encoding: PKCS8},
		"rsa 2048 pkcs1":   {Algorithm: RSA, Size: 2048, Encoding: PKCS1},
		"rsa 2048 pkcs8":   {Algorithm: RSA, Size: 2048, Encoding: PKCS8},
		"ed25519":          {Algorithm: Ed25519, Encoding: PKCS8},
	}
	for name, spec := range tests {
		t.Run(name, func(t *testing.T) {
			key, err := GenerateKey(spec)
			if err != nil {
				t.Fatal(err)
			}
			data, err := EncodePrivateKey(key, spec.Encoding)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParsePrivateKeyPEM(data)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := Fingerprint(key.Public())
			b, _ := Fingerprint(back.Public())
			if a != b || len(a) != 64 {
				t.Errorf("fingerprints differ after round trip: %s, %s", a, b)
			}
			want := spec
			want.Encoding = ""
			if got := SpecOf(back.Public()); got != want {
				t.Errorf("SpecOf = %+v, want %+v", got, want)
			}
		})
	}
}

func TestKeyErrors(t *testing.T) {
	tests := map[string]struct {
		spec KeySpec
		enc  string
	}{
		"ecdsa 255":      {spec: KeySpec{Algorithm: ECDSA, Size: 255}},
		"rsa 1024":       {spec: KeySpec{Algorithm: RSA, Size: 1024}},
		"unknown":        {spec: KeySpec{Algorithm: "dsa"}},
		"sec1 for rsa":   {spec: KeySpec{Algorithm: RSA, Size: 2048}, enc: SEC1},
		"pkcs1 for ec":   {spec: KeySpec{Algorithm: ECDSA, Size: 256}, enc: PKCS1},
		"unknown format": {spec: KeySpec{Algorithm: ECDSA, Size: 256}, enc: "der"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			key, err := GenerateKey(tc.spec)
			if err == nil {
				_, err = EncodePrivateKey(key, tc.enc)
			}
			if err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestParsePrivateKeyPEMNeverQuotesInput(t *testing.T) {
	secret := "c2VjcmV0LWtleS1ieXRlcw=="
	_, err := ParsePrivateKeyPEM([]byte("-----BEGIN PRIVATE KEY-----\n" + secret + "\n-----END PRIVATE KEY-----\n"))
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("err = %v; want an error that does not quote the input", err)
	}
}

// signed issues a certificate for the CSR of key and req, as a signer
// would, with tweak applied to the template first.
func signed(t *testing.T, req Request, usages []x509.ExtKeyUsage, tweak func(*x509.Certificate)) ([]*x509.Certificate, *x509.CertPool, Expectation) {
	t.Helper()
	caKey, _ := GenerateKey(KeySpec{Algorithm: ECDSA, Size: 256})
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := GenerateKey(KeySpec{Algorithm: ECDSA, Size: 256})
	h := ClassifyHosts(req.Hosts)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: req.Subject, DNSNames: h.DNSNames, IPAddresses: h.IPAddresses,
		EmailAddresses: h.EmailAddresses, URIs: h.URIs, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usages,
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour)}
	pub := key.Public()
	if tweak != nil {
		tweak(tmpl)
		if tmpl.PublicKey != nil {
			pub = tmpl.PublicKey
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, pub, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return []*x509.Certificate{leaf}, roots, Expectation{PublicKey: key.Public(), Request: req,
		Usages: []string{"digital signature", "server auth"}, Now: time.Now()}
}

func TestVerifyIssued(t *testing.T) {
	req := Request{Subject: pkix.Name{CommonName: "web", Organization: []string{"acme"}}, Hosts: []string{"web.example", "192.0.2.1"}}
	other, _ := GenerateKey(KeySpec{Algorithm: ECDSA, Size: 256})
	tests := map[string]struct {
		tweak     func(*x509.Certificate)
		usages    []x509.ExtKeyUsage
		otherRoot bool
		// signerRoot: the signer's published CAs are ours ("own") or
		// another CA's ("other"); "" checks none.
		signerRoot string
		wantErr    string
	}{
		"as requested":   {},
		"another key":    {tweak: func(c *x509.Certificate) { c.PublicKey = other.Public() }, wantErr: "public key is not ours"},
		"another CN":     {tweak: func(c *x509.Certificate) { c.Subject.CommonName = "evil" }, wantErr: `common name is "evil"`},
		"extra DNS SAN":  {tweak: func(c *x509.Certificate) { c.DNSNames = append(c.DNSNames, "evil.example") }, wantErr: "DNS SANs"},
		"missing IP SAN": {tweak: func(c *x509.Certificate) { c.IPAddresses = nil }, wantErr: "IP SANs"},
		"missing usage":  {usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, wantErr: "lacks the usages server auth"},
		"expired": {tweak: func(c *x509.Certificate) {
			c.NotBefore, c.NotAfter = time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour)
		}, wantErr: "not valid now"},
		"foreign CA":                {otherRoot: true, wantErr: "does not chain"},
		"signer publishes its CA":   {signerRoot: "own"},
		"signer publishes other CA": {signerRoot: "other", wantErr: "does not chain to the CAs its signer publishes"},
		// cert-manager and other signers do not backdate: a NotBefore a
		// little ahead of our clock is skew, not a bad certificate.
		"not before 2m ahead (skew)": {tweak: func(c *x509.Certificate) { c.NotBefore = time.Now().Add(2 * time.Minute) }},
		"not before 10m ahead":       {tweak: func(c *x509.Certificate) { c.NotBefore = time.Now().Add(10 * time.Minute) }, wantErr: "not valid yet"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			usages := tc.usages
			if usages == nil {
				usages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			}
			chain, roots, want := signed(t, req, usages, tc.tweak)
			want.Roots = roots
			if tc.otherRoot {
				_, want.Roots, _ = signed(t, req, usages, nil)
			}
			switch tc.signerRoot {
			case "own":
				want.SignerRoots = roots
			case "other":
				_, want.SignerRoots, _ = signed(t, req, usages, nil)
			}
			err := VerifyIssued(chain, want)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestCreateCSR(t *testing.T) {
	key, _ := GenerateKey(KeySpec{Algorithm: ECDSA, Size: 256})
	req := Request{Subject: pkix.Name{CommonName: "x"}, Hosts: []string{"a.example", "10.0.0.1", "me@example.com", "spiffe://td/x"}}
	data, err := CreateCSR(key, req)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := ParseCSRPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := csr.CheckSignature(); err != nil {
		t.Error(err)
	}
	if len(csr.DNSNames) != 1 || len(csr.IPAddresses) != 1 || !csr.IPAddresses[0].Equal(net.ParseIP("10.0.0.1")) ||
		len(csr.EmailAddresses) != 1 || len(csr.URIs) != 1 {
		t.Errorf("SANs not split by kind: %v %v %v %v", csr.DNSNames, csr.IPAddresses, csr.EmailAddresses, csr.URIs)
	}
}
