package formats

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"
)

// Aliases of the entries in JKS keystores and truststores, as cert-manager
// names them, so applications configured for cert-manager's keystores
// read certform's unchanged.
const (
	KeyAlias = "certificate"
	CAAlias  = "ca" // the first CA; later ones are ca-1, ca-2, ...
)

// pkcs12Encoder writes PKCS#12 with PBES2 (AES-256-CBC) and a SHA-256
// MAC, which OpenSSL 1.1.1+ and Java 11.0.12+ read.
var pkcs12Encoder = pkcs12.Modern2023

func encodePKCS12(m Material, password string) ([]byte, error) {
	data, err := pkcs12Encoder.Encode(m.Key, m.Chain[0], m.Chain[1:], password)
	if err != nil {
		return nil, fmt.Errorf("encoding PKCS#12: %w", err)
	}
	return data, nil
}

func encodePKCS12Truststore(cas []*x509.Certificate, password string) ([]byte, error) {
	data, err := pkcs12Encoder.EncodeTrustStore(cas, password)
	if err != nil {
		return nil, fmt.Errorf("encoding PKCS#12 truststore: %w", err)
	}
	return data, nil
}

func decodePKCS12(data []byte, password string) (any, *x509.Certificate, []*x509.Certificate, error) {
	return pkcs12.DecodeChain(data, password)
}

func decodePKCS12Truststore(data []byte, password string) ([]*x509.Certificate, error) {
	return pkcs12.DecodeTrustStore(data, password)
}

func holdsPKCS12(data []byte, m Material, password string) bool {
	key, leaf, chain, err := decodePKCS12(data, password)
	return err == nil && sameKey(key, m) && sameCerts(append([]*x509.Certificate{leaf}, chain...), m.Chain)
}

func holdsPKCS12Truststore(data []byte, cas []*x509.Certificate, password string) bool {
	got, err := decodePKCS12Truststore(data, password)
	return err == nil && sameCerts(got, cas)
}

func jksCert(c *x509.Certificate) keystore.Certificate {
	return keystore.Certificate{Type: "X509", Content: c.Raw}
}

func encodeJKS(m Material, password string) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(m.Key)
	if err != nil {
		return nil, fmt.Errorf("encoding JKS: %w", err)
	}
	entry := keystore.PrivateKeyEntry{CreationTime: m.Chain[0].NotBefore, PrivateKey: der}
	for _, c := range m.Chain {
		entry.CertificateChain = append(entry.CertificateChain, jksCert(c))
	}
	ks := keystore.New()
	// Java reads the key with the store's password unless told otherwise,
	// as cert-manager writes it.
	if err := ks.SetPrivateKeyEntry(KeyAlias, entry, []byte(password)); err != nil {
		return nil, fmt.Errorf("encoding JKS: %w", err)
	}
	return storeJKS(ks, password)
}

func encodeJKSTruststore(cas []*x509.Certificate, password string) ([]byte, error) {
	ks := keystore.New()
	for i, c := range cas {
		if err := ks.SetTrustedCertificateEntry(caAlias(i), keystore.TrustedCertificateEntry{CreationTime: c.NotBefore, Certificate: jksCert(c)}); err != nil {
			return nil, fmt.Errorf("encoding JKS truststore: %w", err)
		}
	}
	return storeJKS(ks, password)
}

func caAlias(i int) string {
	if i == 0 {
		return CAAlias
	}
	return fmt.Sprintf("%s-%d", CAAlias, i)
}

func storeJKS(ks keystore.KeyStore, password string) ([]byte, error) {
	var buf bytes.Buffer
	if err := ks.Store(&buf, []byte(password)); err != nil {
		return nil, fmt.Errorf("encoding JKS: %w", err)
	}
	return buf.Bytes(), nil
}

func loadJKS(data []byte, password string) (keystore.KeyStore, error) {
	ks := keystore.New()
	if !jksBounded(data) {
		return ks, errors.New("not a JKS keystore")
	}
	err := ks.Load(bytes.NewReader(data), []byte(password))
	return ks, err
}

func holdsJKS(data []byte, m Material, password string) bool {
	ks, err := loadJKS(data, password)
	if err != nil || len(ks.Aliases()) != 1 {
		return false
	}
	entry, err := ks.GetPrivateKeyEntry(KeyAlias, []byte(password))
	if err != nil {
		return false
	}
	key, err := x509.ParsePKCS8PrivateKey(entry.PrivateKey)
	if err != nil || !sameKey(key, m) || len(entry.CertificateChain) != len(m.Chain) {
		return false
	}
	for i, c := range entry.CertificateChain {
		if !bytes.Equal(c.Content, m.Chain[i].Raw) {
			return false
		}
	}
	return true
}

func holdsJKSTruststore(data []byte, cas []*x509.Certificate, password string) bool {
	ks, err := loadJKS(data, password)
	if err != nil || len(ks.Aliases()) != len(cas) {
		return false
	}
	for i, c := range cas {
		entry, err := ks.GetTrustedCertificateEntry(caAlias(i))
		if err != nil || !bytes.Equal(entry.Certificate.Content, c.Raw) {
			return false
		}
	}
	return true
}
