package apply

import (
	"context"
	"crypto/x509"
	"sync"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/kube"
)

// What an issued certificate's issuer is checked against: the configured
// ca_bundle (output.ca_bundle), and the CAs the signer publishes in
// ClusterTrustBundles (spec.signerName), both when both are known. The
// built-in signers publish nothing there by themselves
// (kube-controller-manager publishes only kubernetes.io/kube-apiserver-serving,
// and kube-root-ca.crt holds the API server's CA, which need not be the
// signing CA), so an administrator who wants them checked publishes the
// signing CA as a ClusterTrustBundle, or the configuration names a bundle.
// With neither, apply says once per signer that the issuer was not checked.

// signerTrust is what one run learned about a signer's CAs.
type signerTrust struct {
	once sync.Once
	pool *x509.CertPool // nil: nothing known
	err  error
}

// signerRoots returns the CAs signer publishes, looked up once per run, or
// nil when none are known.
func (r *runner) signerRoots(ctx context.Context, signer string) (*x509.CertPool, error) {
	if r.opts.TrustBundles == nil {
		return nil, nil
	}
	r.mu.Lock()
	if r.signers == nil {
		r.signers = map[string]*signerTrust{}
	}
	st := r.signers[signer]
	if st == nil {
		st = &signerTrust{}
		r.signers[signer] = st
	}
	r.mu.Unlock()
	st.once.Do(func() {
		cas, err := kube.SignerCAs(ctx, r.opts.TrustBundles, signer)
		if err != nil {
			st.err = err
			return
		}
		if len(cas) > 0 {
			st.pool = x509.NewCertPool()
			for _, ca := range cas {
				st.pool.AddCert(ca)
			}
		}
	})
	return st.pool, st.err
}

// warnUnverified says, once per signer and run, that certificates of c's
// signer are accepted without an issuer check, and why.
func (r *runner) warnUnverified(c *config.Certificate, lookupErr error) {
	r.mu.Lock()
	if r.unverified == nil {
		r.unverified = map[string]bool{}
	}
	first := !r.unverified[c.SignerName]
	r.unverified[c.SignerName] = true
	r.mu.Unlock()
	if !first {
		return
	}
	msg := "the issuer of certificates from signer " + c.SignerName + " is not verified: no ClusterTrustBundle publishes its CA"
	if lookupErr != nil {
		msg = "the issuer of certificates from signer " + c.SignerName + " is not verified: " + lookupErr.Error()
	}
	r.report(Event{Addr: c.Addr, Phase: PhaseWarning,
		Message: msg + "; name a ca_bundle holding its CA in output.ca_bundle to have it checked"})
}
