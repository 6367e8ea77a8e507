package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// Key algorithms, as spelled in configuration.
const (
	ECDSA   = "ecdsa"
	RSA     = "rsa"
	Ed25519 = "ed25519"
)

// Private key encodings, as spelled in configuration.
const (
	PKCS8 = "pkcs8"
	SEC1  = "sec1"
	PKCS1 = "pkcs1"
)

// KeySpec says which private key to generate and how to encode it.
type KeySpec struct {
	Algorithm string // ECDSA, RSA or Ed25519
	Size      int    // curve bits for ECDSA, modulus bits for RSA, 0 for Ed25519
	Encoding  string // PKCS8, SEC1 (ECDSA) or PKCS1 (RSA)
}

// String names the spec the way cfssl logs it, e.g. "ecdsa-256".
func (s KeySpec) String() string {
	if s.Algorithm == Ed25519 {
		return Ed25519
	}
	return fmt.Sprintf("%s-%d", s.Algorithm, s.Size)
}

// WithoutEncoding is the spec with Encoding cleared, to compare what a key
// is (SpecOf) with what was asked for.
func (s KeySpec) WithoutEncoding() KeySpec {
	s.Encoding = ""
	return s
}

// GenerateKey makes a new private key for spec.
func GenerateKey(spec KeySpec) (crypto.Signer, error) {
	switch spec.Algorithm {
	case ECDSA:
		curve, err := curveFor(spec.Size)
		if err != nil {
			return nil, err
		}
		return ecdsa.GenerateKey(curve, rand.Reader)
	case RSA:
		if spec.Size < 2048 || spec.Size > 8192 {
			return nil, fmt.Errorf("rsa key size %d is outside 2048..8192", spec.Size)
		}
		return rsa.GenerateKey(rand.Reader, spec.Size)
	case Ed25519:
		_, key, err := ed25519.GenerateKey(rand.Reader)
		return key, err
	}
	return nil, fmt.Errorf("unknown key algorithm %q", spec.Algorithm)
}

func curveFor(size int) (elliptic.Curve, error) {
	switch size {
	case 256:
		return elliptic.P256(), nil
	case 384:
		return elliptic.P384(), nil
	case 521:
		return elliptic.P521(), nil
	}
	return nil, fmt.Errorf("ecdsa key size %d is not one of 256, 384, 521", size)
}

// EncodePrivateKey returns key as a PEM block in the given encoding. Its
// result must only ever be written to a 0600 file.
func EncodePrivateKey(key crypto.Signer, encoding string) ([]byte, error) {
	var block pem.Block
	switch encoding {
	case PKCS8, "":
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		block = pem.Block{Type: "PRIVATE KEY", Bytes: der}
	case SEC1:
		k, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			return nil, errors.New("sec1 encoding is only for ecdsa keys")
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, err
		}
		block = pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	case PKCS1:
		k, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("pkcs1 encoding is only for rsa keys")
		}
		block = pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	default:
		return nil, fmt.Errorf("unknown key encoding %q", encoding)
	}
	return pem.EncodeToMemory(&block), nil
}

// ParsePrivateKeyPEM reads the first private key block of data, in any of the
// encodings EncodePrivateKey writes. Errors never quote the input.
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no private key PEM block found")
		}
		switch block.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, errors.New("malformed PKCS#8 private key")
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("unsupported private key type %T", k)
			}
			return s, nil
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(block.Bytes)
			if err != nil {
				return nil, errors.New("malformed SEC1 private key")
			}
			return k, nil
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, errors.New("malformed PKCS#1 private key")
			}
			return k, nil
		}
	}
}

// Fingerprint is the lowercase hex SHA-256 of pub's SubjectPublicKeyInfo.
// It identifies a key in state and in CSR names without revealing it.
func Fingerprint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encoding public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// SpecOf describes an existing key, so that a key found on disk can be
// compared with the configured spec.
func SpecOf(pub crypto.PublicKey) KeySpec {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return KeySpec{Algorithm: ECDSA, Size: k.Curve.Params().BitSize}
	case *rsa.PublicKey:
		return KeySpec{Algorithm: RSA, Size: k.N.BitLen()}
	case ed25519.PublicKey:
		return KeySpec{Algorithm: Ed25519}
	}
	return KeySpec{}
}
