package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"

	"github.com/certform/certform/internal/formats"
	"github.com/certform/certform/internal/pki"
)

// SHA256 is the hex SHA-256 of data, as state records files.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// File is one file as found on disk.
type File struct {
	Exists bool
	SHA256 string
	Mode   fs.FileMode
}

// OfFile reads one path: its content's hash and its mode, from one open.
// A missing file is an observation (Exists false), not an error.
func OfFile(path string) (File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return File{}, nil
	}
	if err != nil {
		return File{}, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return File{}, fmt.Errorf("reading %s: %w", path, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return File{}, fmt.Errorf("reading %s: %w", path, err)
	}
	return File{Exists: true, SHA256: hex.EncodeToString(h.Sum(nil)), Mode: st.Mode().Perm()}, nil
}

// OfSecret is the SHA-256 state records for a TLS Secret's data: its
// tls.crt, tls.key and ca.crt, each length-prefixed, in that order, then
// those of the extra formats' keys it holds (keystore.p12, ...), sorted: a
// Secret without them digests as before they existed.
func OfSecret(data map[string][]byte) string {
	var all []byte
	for _, k := range []string{"tls.crt", "tls.key", "ca.crt"} {
		all = append(all, fmt.Sprintf("%s:%d:", k, len(data[k]))...)
		all = append(all, data[k]...)
	}
	for _, k := range extraSecretKeys {
		if v, ok := data[k]; ok {
			all = append(all, fmt.Sprintf("%s:%d:", k, len(v))...)
			all = append(all, v...)
		}
	}
	return SHA256(all)
}

// extraSecretKeys are the data keys the extra formats add, sorted.
var extraSecretKeys = func() []string {
	keys := formats.AllSecretKeys()
	slices.Sort(keys)
	return keys
}()

// TLS is what a kubernetes.io/tls Secret holds, as fingerprints: never the
// key itself.
type TLS struct {
	// KeySHA256 is the SHA-256 of tls.key's SubjectPublicKeyInfo, as state
	// records keys; "" when tls.key is not a private key.
	KeySHA256 string
	// Serial is tls.crt's leaf serial number, hex as state records it;
	// "" when tls.crt holds no certificate.
	Serial string
}

// OfTLS summarises a kubernetes.io/tls Secret's data as fingerprints: the
// key is parsed in memory only, to learn its public key's fingerprint, and
// goes nowhere else.
func OfTLS(data map[string][]byte) TLS {
	var out TLS
	if key, err := pki.ParsePrivateKeyPEM(data["tls.key"]); err == nil {
		out.KeySHA256, _ = pki.Fingerprint(key.Public())
	}
	if chain, err := pki.ParseCertificatesPEM(data["tls.crt"]); err == nil && len(chain) > 0 {
		out.Serial = chain[0].SerialNumber.Text(16)
	}
	return out
}
