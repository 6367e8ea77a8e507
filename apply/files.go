package apply

import (
	"context"
	"crypto"
	"fmt"
	"strings"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/fault"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

var getOptions = metav1.GetOptions{}

// collect verifies an issued certificate and, only if it passes, writes
// key, certificate and the other outputs and records the address as issued.
func (r *runner) collect(ctx context.Context, c *config.Certificate, rec *state.Certificate, key crypto.Signer,
	csr *certv1.CertificateSigningRequest, waited time.Duration) error {
	certPEM := csr.Status.Certificate
	chain, err := pki.ParseCertificatesPEM(certPEM)
	if err != nil {
		return fmt.Errorf("CSR %s carries an unreadable certificate: %w", rec.CSRName, err)
	}
	signerRoots, lookupErr := r.signerRoots(ctx, c.SignerName)
	err = pki.VerifyIssued(chain, pki.Expectation{
		PublicKey: key.Public(), Request: c.Request, Usages: c.Usages, Roots: r.roots(c), SignerRoots: signerRoots, Now: r.opts.Now(),
	})
	if err == nil && r.roots(c) == nil && signerRoots == nil {
		r.warnUnverified(c, lookupErr)
	}
	if err != nil {
		return &RejectedError{CSRName: rec.CSRName, Err: err}
	}
	keyPEM, err := pki.EncodePrivateKey(key, c.Key.Encoding)
	if err != nil {
		return err
	}
	m := material{keyPEM: keyPEM, certPEM: certPEM, requestPEM: csr.Spec.Request}
	if c.Key.Encoding == pki.PKCS8 {
		m.keyFrom = r.opts.Keys.Path(rec.KeySHA256) // the kept key is this very file, already synced: move it
	}
	// Until state says issued, a crash between the renames is repaired by
	// the next run, which collects again with the kept key.
	files, secret, dirs, err := r.writeOutputs(ctx, c, m)
	if err != nil {
		return err
	}
	fault.Point(fault.AfterFiles)
	if moved(rec.Secret, secret) {
		// The new Secret holds the new pair; the old one, no longer
		// configured there, goes (if it is still certform's).
		if err := r.deleteSecret(ctx, rec.Secret); err != nil {
			r.report(Event{Addr: c.Addr, Phase: PhaseWarning, Message: err.Error()})
		}
	}
	old := rec.Files
	leaf := chain[0]
	out := rec.DeepCopy()
	out.Status = state.StatusIssued
	out.SerialNumber = leaf.SerialNumber.Text(16)
	out.NotBefore, out.NotAfter = leaf.NotBefore.UTC(), leaf.NotAfter.UTC()
	out.Files, out.Secret, out.FilesOrigin = files, secret, r.filesOrigin(files)
	// Not waited for: until this record is durable, the pending record and
	// the kept key let the next run collect the certificate again. The
	// commit that records it first syncs the directories the files were
	// renamed into, once for every address in the batch.
	go r.recordAsync(c.Addr, out, dirs...)()
	r.removeStale(c.Addr, old, out.Files)
	r.report(Event{Addr: c.Addr, Phase: PhaseIssued, CSRName: rec.CSRName, Elapsed: waited,
		Message: fmt.Sprintf("serial %s, expires %s", out.SerialNumber, out.NotAfter.Format(time.RFC3339))})
	return nil
}

// moved reports whether the Secret recorded as old is not the one now
// written (none is written, or another namespace or name).
func moved(old, now *state.SecretRecord) bool {
	return old != nil && (now == nil || now.Namespace != old.Namespace || now.Name != old.Name)
}

// removeStale deletes files an earlier issue wrote at paths no longer used,
// but only while they still hold what certform wrote.
func (r *runner) removeStale(addr string, old, current map[string]state.File) {
	for path, f := range old {
		if _, kept := current[path]; kept {
			continue
		}
		if err := r.removeIfUnchanged(addr, path, f); err != nil {
			r.report(Event{Addr: addr, Phase: PhaseWarning, Message: err.Error()})
		}
	}
}

// update fixes outputs without reissuing: rewrites a lost certificate from
// its CSR, moves files to new paths, corrects modes, writes the ca and csr
// files, and writes, repairs or removes the Secret.
func (r *runner) update(ctx context.Context, ch *plan.Change) error {
	c := r.cfg[ch.Addr]
	rec := ch.Before.DeepCopy()
	var m material
	var csr *certv1.CertificateSigningRequest
	if ch.RewriteCert || c.Output.CSRFile != "" {
		if got, err := r.opts.CSRs.Get(ctx, rec.CSRName, getOptions); err == nil {
			csr = got
		} else if ch.RewriteCert {
			return fmt.Errorf("reading CSR %s to rewrite the certificate: %w", rec.CSRName, err)
		}
	}
	var rewritten []byte
	if ch.RewriteCert {
		rewritten = csr.Status.Certificate
	}
	var err error
	if m.keyPEM, m.certPEM, err = r.keyAndCert(ctx, rec, rewritten); err != nil {
		return err
	}
	if m.requestPEM = r.recordedFile(rec, state.RoleCSR); csr != nil {
		m.requestPEM = csr.Spec.Request
	}
	files, secret, dirs, err := r.writeOutputs(ctx, c, m)
	if err != nil {
		return err
	}
	if moved(rec.Secret, secret) {
		if err := r.deleteSecret(ctx, rec.Secret); err != nil { // no longer configured, or moved
			return err
		}
	}
	old := rec.Files
	rec.Files, rec.Secret, rec.FilesOrigin = files, secret, r.filesOrigin(files)
	if err := r.record(c.Addr, rec, dirs...); err != nil {
		return err
	}
	r.removeStale(c.Addr, old, files)
	// The plan's reasons say what this update fixed: a rewritten Secret
	// is not "files updated".
	r.report(Event{Addr: c.Addr, Phase: PhaseUpdated, Message: strings.Join(ch.Reasons, "; ")})
	return nil
}

// delete removes what certform made for an address that left the
// configuration: its CSR object and the files that still hold what it wrote.
func (r *runner) delete(ctx context.Context, ch *plan.Change) error {
	rec := ch.Before
	if rec.Status == state.StatusSubmitting {
		if err := r.retire(ctx, rec); err != nil {
			return err
		}
	} else if rec.CSRName != "" {
		uid := metav1.Preconditions{UID: typesUID(rec.CSRUID)}
		err := r.opts.CSRs.Delete(ctx, rec.CSRName, metav1.DeleteOptions{Preconditions: &uid})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("deleting CSR %s: %w", rec.CSRName, err)
		}
	}
	for path, f := range rec.Files {
		if err := r.removeIfUnchanged(ch.Addr, path, f); err != nil {
			r.report(Event{Addr: rec.Addr, Phase: PhaseWarning, Message: err.Error()})
		}
	}
	if rec.Secret != nil {
		if err := r.deleteSecret(ctx, rec.Secret); err != nil {
			r.report(Event{Addr: rec.Addr, Phase: PhaseWarning, Message: err.Error()})
		}
	}
	if err := r.record(rec.Addr, nil); err != nil {
		return err
	}
	r.report(Event{Addr: rec.Addr, Phase: PhaseDeleted})
	return nil
}
