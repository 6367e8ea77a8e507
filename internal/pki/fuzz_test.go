package pki

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParsePEM feeds every PEM reader arbitrary input: none may panic, and
// what parses as a key must have a fingerprint.
func FuzzParsePEM(f *testing.F) {
	files, _ := filepath.Glob("../../config/testdata/*.crt")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		f.Add(data)
	}
	for _, spec := range []KeySpec{{Algorithm: ECDSA, Size: 256, Encoding: SEC1}, {Algorithm: Ed25519, Encoding: PKCS8}} {
		key, _ := GenerateKey(spec)
		pemKey, _ := EncodePrivateKey(key, spec.Encoding)
		csr, _ := CreateCSR(key, Request{Hosts: []string{"a.example", "10.0.0.1"}})
		f.Add(pemKey)
		f.Add(csr)
	}
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseCertificatesPEM(data)
		ParseCSRPEM(data)
		if key, err := ParsePrivateKeyPEM(data); err == nil {
			if _, err := Fingerprint(key.Public()); err != nil {
				t.Errorf("parsed key has no fingerprint: %v", err)
			}
		}
	})
}
