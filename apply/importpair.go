package apply

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/plan"
)

// Imported is a key and certificate made another way, verified against
// the certificate block that adopts them.
type Imported struct {
	Key     crypto.Signer
	Chain   []*x509.Certificate // the leaf first
	CertPEM []byte              // as read: the leaf and any chain after it
	// KeySHA256 is the key's fingerprint, as state records keys.
	KeySHA256 string
}

// ImportError is a key and certificate that cannot be adopted, with what
// to do about it.
type ImportError struct {
	Err  error
	Hint string
}

func (e *ImportError) Error() string { return e.Err.Error() }
func (e *ImportError) Unwrap() error { return e.Err }

// ReadImportSource reads the key and certificate of src: files relative to
// dir (the configuration directory), or the tls.key and tls.crt of a
// Secret. Both are bounded (limits.SmallFile).
func ReadImportSource(ctx context.Context, secrets corev1client.SecretsGetter, src plan.ImportSource, dir workdir.Dir) (keyPEM, certPEM []byte, err error) {
	if src.SecretName == "" {
		if keyPEM, err = limits.ReadFile(dir.Path(src.KeyFile), limits.SmallFile); err != nil {
			return nil, nil, fmt.Errorf("reading key to import: %w", err)
		}
		if certPEM, err = limits.ReadFile(dir.Path(src.CertFile), limits.SmallFile); err != nil {
			return nil, nil, fmt.Errorf("reading certificate to import: %w", err)
		}
		return keyPEM, certPEM, nil
	}
	if secrets == nil {
		return nil, nil, fmt.Errorf("reading Secret %s/%s to import: no cluster connection", src.SecretNamespace, src.SecretName)
	}
	sec, err := secrets.Secrets(src.SecretNamespace).Get(ctx, src.SecretName, metav1.GetOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("reading Secret %s/%s to import: %w", src.SecretNamespace, src.SecretName, err)
	}
	keyPEM, certPEM = sec.Data["tls.key"], sec.Data["tls.crt"]
	if len(keyPEM) == 0 || len(certPEM) == 0 {
		return nil, nil, &ImportError{Err: fmt.Errorf("Secret %s/%s has no tls.key and tls.crt to import", src.SecretNamespace, src.SecretName),
			Hint: "import from a kubernetes.io/tls Secret, or from files with key_file and cert_file"}
	}
	if len(keyPEM) > limits.SmallFile || len(certPEM) > limits.SmallFile {
		return nil, nil, fmt.Errorf("Secret %s/%s: tls.key or tls.crt is larger than %d bytes", src.SecretNamespace, src.SecretName, limits.SmallFile)
	}
	return keyPEM, certPEM, nil
}

// VerifyImport checks that keyPEM is the key of the first certificate of
// certPEM, of the kind c asks for, and that the certificate is what c
// asks for (names, usages, validity at now). The errors never quote the key.
func VerifyImport(c *config.Certificate, keyPEM, certPEM []byte, now time.Time) (*Imported, error) {
	key, err := pki.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("reading the key to import: %w", err)
	}
	chain, err := pki.ParseCertificatesPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("reading the certificate to import: %w", err)
	}
	if !pki.KeyMatchesCertificate(key, chain[0]) {
		return nil, &ImportError{Err: errors.New("the key is not the certificate's key"), Hint: "pass the key the certificate was issued for"}
	}
	if got := pki.SpecOf(key.Public()); got != c.Key.KeySpec.WithoutEncoding() {
		return nil, &ImportError{Err: fmt.Errorf("the key is %s, but %s asks for %s", got, c.Addr, c.Key.KeySpec.WithoutEncoding()),
			Hint: "change the block's key to match, or let certform issue a new certificate"}
	}
	err = pki.VerifyIssued(chain, pki.Expectation{PublicKey: key.Public(), Request: c.Request, Usages: c.Usages, Now: now})
	if err != nil {
		return nil, &ImportError{Err: fmt.Errorf("the certificate does not satisfy %s: %w", c.Addr, err),
			Hint: "change the block to describe this certificate, or let certform issue a new one"}
	}
	fp, err := pki.Fingerprint(key.Public())
	if err != nil {
		return nil, err
	}
	return &Imported{Key: key, Chain: chain, CertPEM: certPEM, KeySHA256: fp}, nil
}
