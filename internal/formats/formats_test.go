package formats

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/certform/certform/internal/pki"
)

// testMaterial is a leaf signed by a CA, with the CA as the bundle.
func testMaterial(t *testing.T, cn string) Material {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn + " CA"}, NotBefore: now, NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn}, NotBefore: now, NotAfter: now.Add(time.Hour)}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	return Material{Key: key, Chain: []*x509.Certificate{leaf, ca}, CAs: []*x509.Certificate{ca}}
}

func TestHolds(t *testing.T) {
	m, other := testMaterial(t, "a"), testMaterial(t, "b")
	for _, kind := range []Kind{KindPKCS12, KindPKCS12Truststore, KindJKS, KindJKSTruststore, KindCombinedPEM, KindDERCert, KindDERKey} {
		t.Run(string(kind), func(t *testing.T) {
			first, err := Encode(kind, m, "changeit")
			if err != nil {
				t.Fatal(err)
			}
			second, err := Encode(kind, m, "changeit")
			if err != nil {
				t.Fatal(err)
			}
			if !kind.Keystore() && !bytes.Equal(first, second) {
				t.Error("two encodings of m differ")
			}
			if !Holds(kind, first, m, "changeit") || !Holds(kind, second, m, "changeit") {
				t.Error("an encoding of m does not hold m")
			}
			if Holds(kind, first, other, "changeit") {
				t.Error("an encoding of m holds other material")
			}
			if kind.Keystore() {
				if Holds(kind, first, m, "another") || Opens(kind, first, "another") {
					t.Error("a keystore opens with the wrong password")
				}
				if !Opens(kind, first, "changeit") {
					t.Error("a keystore does not open with its password")
				}
				if _, err := Encode(kind, m, ""); err == nil {
					t.Error("a keystore was written without a password")
				}
			}
		})
	}
}

func TestSecretKeys(t *testing.T) {
	got := SecretKeys([]string{PKCS12, JKS, CombinedPEM, DER}, false)
	for _, key := range []string{"keystore.p12", "keystore.jks", "tls-combined.pem", "key.der"} {
		if _, ok := got[key]; !ok {
			t.Errorf("SecretKeys lacks %s", key)
		}
	}
	if _, ok := got["truststore.p12"]; ok {
		t.Error("a truststore without a CA")
	}
	if _, ok := SecretKeys([]string{JKS}, true)["truststore.jks"]; !ok {
		t.Error("no truststore.jks with a CA")
	}
}

func TestNewMaterialCompletesChain(t *testing.T) {
	m := testMaterial(t, "a")
	keyPEM, _ := pki.EncodePrivateKey(m.Key, pki.PKCS8)
	got, err := NewMaterial(keyPEM, pki.EncodeCertificates(m.Chain[0]), pki.EncodeCertificates(testMaterial(t, "b").CAs[0], m.CAs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if !sameCerts(got.Chain, m.Chain) {
		t.Errorf("chain has %d certificates, want the leaf and its CA", len(got.Chain))
	}
}

// TestJKSBounds: a JKS whose lengths reach past its end is refused before
// the decoder allocates them; every real one passes.
func TestJKSBounds(t *testing.T) {
	m := testMaterial(t, "a")
	for _, kind := range []Kind{KindJKS, KindJKSTruststore} {
		data, err := Encode(kind, m, "changeit")
		if err != nil {
			t.Fatal(err)
		}
		if !jksBounded(data) {
			t.Errorf("%s: a real keystore is refused", kind)
		}
		huge := bytes.Clone(data)
		copy(huge[8:12], []byte{0xff, 0xff, 0xff, 0xff}) // entry count
		if jksBounded(huge) || Opens(kind, huge, "changeit") {
			t.Errorf("%s: an entry count past the end is accepted", kind)
		}
		if jksBounded(data[:len(data)-1]) {
			t.Errorf("%s: a keystore cut short is accepted", kind)
		}
	}
}

// FuzzOpens: keystores read back from files and Secrets are outside input;
// no content makes opening them panic.
func FuzzOpens(f *testing.F) {
	for _, seed := range [][]byte{nil, {0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 1}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []Kind{KindPKCS12, KindPKCS12Truststore, KindJKS, KindJKSTruststore} {
			Opens(kind, data, "changeit")
		}
	})
}
