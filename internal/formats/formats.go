package formats

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"

	"github.com/certform/certform/internal/pki"
)

// Format names, as the configuration spells them in secret.formats.
const (
	PKCS12      = "pkcs12"
	JKS         = "jks"
	CombinedPEM = "combined_pem"
	DER         = "der"
)

// Names lists the formats a secret block may ask for, in the order the
// documentation gives them.
var Names = []string{PKCS12, JKS, CombinedPEM, DER}

// NeedsPassword reports whether format is a keystore, which certform never
// writes without a password.
func NeedsPassword(format string) bool { return format == PKCS12 || format == JKS }

// Kind is one encoding of a certificate: an output file's role, and (with
// SecretKey) a data key of its Secret.
type Kind string

// Kinds, as state records a file's role. The keystore kinds hold the
// private key; the truststores hold only the CA bundle.
const (
	KindPKCS12           Kind = "pkcs12"
	KindPKCS12Truststore Kind = "pkcs12_truststore"
	KindJKS              Kind = "jks"
	KindJKSTruststore    Kind = "jks_truststore"
	KindCombinedPEM      Kind = "combined_pem"
	KindDERCert          Kind = "der"
	KindDERKey           Kind = "der_key"
)

// Kinds of each Secret format, with the data keys cert-manager uses for
// them: keystore and truststore, the combined PEM, the key in DER.
var secretKeys = []struct {
	format string
	kind   Kind
	key    string
}{
	{PKCS12, KindPKCS12, "keystore.p12"},
	{PKCS12, KindPKCS12Truststore, "truststore.p12"},
	{JKS, KindJKS, "keystore.jks"},
	{JKS, KindJKSTruststore, "truststore.jks"},
	{CombinedPEM, KindCombinedPEM, "tls-combined.pem"},
	{DER, KindDERKey, "key.der"},
}

// SecretKeys returns the Secret data keys that formats ask for, by key, in
// a fixed order. Truststores are left out when withCA is false: a
// certificate with no CA to trust gets no truststore.
func SecretKeys(formats []string, withCA bool) map[string]Kind {
	out := map[string]Kind{}
	for _, sk := range secretKeys {
		if !slices.Contains(formats, sk.format) || sk.kind.Truststore() && !withCA {
			continue
		}
		out[sk.key] = sk.kind
	}
	return out
}

// AllSecretKeys lists every data key a format can add to a Secret.
func AllSecretKeys() []string {
	out := make([]string, len(secretKeys))
	for i, sk := range secretKeys {
		out[i] = sk.key
	}
	return out
}

// HoldsKey reports whether files of kind carry the private key (and must
// be 0600 from creation).
func (k Kind) HoldsKey() bool {
	return k == KindPKCS12 || k == KindJKS || k == KindCombinedPEM || k == KindDERKey
}

// Truststore reports whether kind holds only the CA bundle.
func (k Kind) Truststore() bool { return k == KindPKCS12Truststore || k == KindJKSTruststore }

// Keystore reports whether kind is password-protected, with random salts.
func (k Kind) Keystore() bool {
	return k == KindPKCS12 || k == KindJKS || k.Truststore()
}

// Material is what every format is made of: the key, the chain the signer
// returned (leaf first), and the CAs a truststore holds.
type Material struct {
	Key   crypto.Signer
	Chain []*x509.Certificate
	CAs   []*x509.Certificate
}

// NewMaterial parses PEM key, chain and CA bundle. caPEM may be empty.
// The chain is completed from the bundle: a signer that returns only the
// leaf (as Kubernetes' built-in signers do) still gets keystores whose
// chain reaches the CA, as Java and .NET servers present it.
func NewMaterial(keyPEM, certPEM, caPEM []byte) (Material, error) {
	var m Material
	key, err := pki.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return m, errors.New("the private key does not parse") // never the key itself
	}
	m.Key = key
	if m.Chain, err = pki.ParseCertificatesPEM(certPEM); err != nil || len(m.Chain) == 0 {
		return m, fmt.Errorf("the certificate does not parse: %v", err)
	}
	if len(caPEM) > 0 {
		if m.CAs, err = pki.ParseCertificatesPEM(caPEM); err != nil {
			return m, fmt.Errorf("the CA bundle does not parse: %w", err)
		}
	}
	m.Chain = completeChain(m.Chain, m.CAs)
	return m, nil
}

// completeChain appends to chain, from cas, the issuer of its last
// certificate (signature checked) until it ends in a self-signed one or
// no CA issued it.
func completeChain(chain, cas []*x509.Certificate) []*x509.Certificate {
	for len(chain) <= len(cas) {
		last := chain[len(chain)-1]
		if last.CheckSignatureFrom(last) == nil {
			break // self-signed: the root
		}
		i := slices.IndexFunc(cas, func(ca *x509.Certificate) bool {
			return !slices.ContainsFunc(chain, ca.Equal) && last.CheckSignatureFrom(ca) == nil
		})
		if i < 0 {
			break
		}
		chain = append(chain, cas[i])
	}
	return chain
}

// Encode writes m as kind. Keystores need a password; the others ignore it.
func Encode(kind Kind, m Material, password string) ([]byte, error) {
	if kind.Keystore() && password == "" {
		return nil, fmt.Errorf("%s needs a password", kind)
	}
	if kind.Truststore() && len(m.CAs) == 0 {
		return nil, fmt.Errorf("%s needs a CA: name a bundle with ca_bundle, or use a signer that returns its chain", kind)
	}
	switch kind {
	case KindPKCS12:
		return encodePKCS12(m, password)
	case KindPKCS12Truststore:
		return encodePKCS12Truststore(m.CAs, password)
	case KindJKS:
		return encodeJKS(m, password)
	case KindJKSTruststore:
		return encodeJKSTruststore(m.CAs, password)
	case KindCombinedPEM:
		keyPEM, err := pki.EncodePrivateKey(m.Key, pki.PKCS8)
		if err != nil {
			return nil, err
		}
		return append(keyPEM, pki.EncodeCertificates(m.Chain...)...), nil
	case KindDERCert:
		return slices.Clone(m.Chain[0].Raw), nil
	case KindDERKey:
		return x509.MarshalPKCS8PrivateKey(m.Key)
	}
	panic("formats: unknown kind " + string(kind))
}

// Holds reports whether data, opened with password, holds exactly what
// Encode(kind, m, password) would: the same key, chain and CAs. For the
// formats without salts it compares bytes. A keystore that does not open
// with password does not hold m.
func Holds(kind Kind, data []byte, m Material, password string) bool {
	if len(data) == 0 {
		return false
	}
	switch kind {
	case KindPKCS12:
		return holdsPKCS12(data, m, password)
	case KindPKCS12Truststore:
		return holdsPKCS12Truststore(data, m.CAs, password)
	case KindJKS:
		return holdsJKS(data, m, password)
	case KindJKSTruststore:
		return holdsJKSTruststore(data, m.CAs, password)
	}
	want, err := Encode(kind, m, password)
	return err == nil && slices.Equal(want, data)
}

// Opens reports whether the keystore data opens with password: a password
// changed since it was written leaves one that does not.
func Opens(kind Kind, data []byte, password string) bool {
	switch kind {
	case KindPKCS12:
		_, _, _, err := decodePKCS12(data, password)
		return err == nil
	case KindPKCS12Truststore:
		_, err := decodePKCS12Truststore(data, password)
		return err == nil
	case KindJKS, KindJKSTruststore:
		_, err := loadJKS(data, password)
		return err == nil
	}
	return true
}

// sameCerts reports whether a and b are the same certificates in order.
func sameCerts(a, b []*x509.Certificate) bool {
	return slices.EqualFunc(a, b, func(x, y *x509.Certificate) bool { return x.Equal(y) })
}

// sameKey reports whether key is m's key, by public key.
func sameKey(key any, m Material) bool {
	s, ok := key.(crypto.Signer)
	if !ok {
		return false
	}
	a, err1 := pki.Fingerprint(s.Public())
	b, err2 := pki.Fingerprint(m.Key.Public())
	return err1 == nil && err2 == nil && a == b
}
