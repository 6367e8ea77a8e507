package apply

import (
	"context"
	"fmt"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/state"
)

// A certificate's recorded Secret is its key's home: files are copies that
// an update writes from it when a runner lacks them or they were edited.
// The key read from the Secret stays in memory and goes only to the 0600
// key file (and back to the Secret).

// recordedFile returns what the file of role holds when it still holds
// what certform recorded, else nil.
func (r *runner) recordedFile(rec *state.Certificate, role string) []byte {
	path, f, ok := rec.FileWithRole(role)
	if !ok {
		return nil
	}
	data, err := os.ReadFile(r.dir.Path(path))
	if err != nil || digest.SHA256(data) != f.SHA256 {
		return nil
	}
	return data
}

// fromHome reads the key and certificate from rec's Secret, checking that
// they are the recorded ones: the key's fingerprint, and the leaf's serial
// and public key.
func (r *runner) fromHome(ctx context.Context, rec *state.Certificate) (keyPEM, certPEM []byte, err error) {
	s := rec.Secret
	sec, err := r.opts.Core.Secrets(s.Namespace).Get(ctx, s.Name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("reading Secret %s/%s, the key's home: %w", s.Namespace, s.Name, err)
	}
	got := digest.OfTLS(sec.Data)
	if got.KeySHA256 != rec.KeySHA256 || got.Serial != rec.SerialNumber {
		return nil, nil, fmt.Errorf("Secret %s/%s no longer holds the recorded key and certificate (serial %s); run plan again", s.Namespace, s.Name, rec.SerialNumber)
	}
	chain, _ := pki.ParseCertificatesPEM(sec.Data["tls.crt"])
	if fp := ""; len(chain) == 0 || rec.KeySHA256 == "" {
		return nil, nil, fmt.Errorf("Secret %s/%s holds no certificate for the recorded key; run plan again", s.Namespace, s.Name)
	} else if fp, _ = pki.Fingerprint(chain[0].PublicKey); fp != rec.KeySHA256 {
		return nil, nil, fmt.Errorf("Secret %s/%s holds a certificate for another key; run plan again", s.Namespace, s.Name)
	}
	return sec.Data["tls.key"], sec.Data["tls.crt"], nil
}

// keyAndCert returns rec's key and certificate for an update: from the
// files that still hold what certform wrote (the certificate from
// rewritten instead, when given), and what they lack from the Secret.
func (r *runner) keyAndCert(ctx context.Context, rec *state.Certificate, rewritten []byte) (keyPEM, certPEM []byte, err error) {
	keyPEM, certPEM = r.recordedFile(rec, state.RoleKey), rewritten
	if certPEM == nil {
		certPEM = r.recordedFile(rec, state.RoleCert)
	}
	if keyPEM != nil && certPEM != nil {
		return keyPEM, certPEM, nil
	}
	if rec.Secret == nil {
		return nil, nil, fmt.Errorf("the key or certificate file no longer holds what certform wrote, and no Secret holds them; run plan again")
	}
	homeKey, homeCert, err := r.fromHome(ctx, rec)
	if err != nil {
		return nil, nil, err
	}
	if keyPEM == nil {
		keyPEM = homeKey
	}
	if certPEM == nil {
		certPEM = homeCert
	}
	return keyPEM, certPEM, nil
}

// filesOrigin is where files were written: here, when there are any.
func (r *runner) filesOrigin(files map[string]state.File) state.Origin {
	if len(files) == 0 {
		return state.Origin{}
	}
	return r.here
}
