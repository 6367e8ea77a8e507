package apply

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"

	certv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/state"
)

// A run stopped between sending a CSR's create and recording its outcome
// (SIGINT, SIGTERM, SIGKILL, a lost connection) may have left an object
// that state does not know. Before the create is sent, issue records the
// address as submitting: the CSR's name and the key it is made with, the
// key kept and synced. The next run's plan waits for that CSR when it
// exists and was made with that key, and apply adopts it (adopt);
// otherwise the submission is superseded and its CSR, if it turns up
// after all, is deleted before the key goes (retire). No other CSR is
// ever adopted: one left from an earlier issue of the address holds a key
// that a later rotation replaced.

// clusterCSRs are this lineage's CSRs as listed once, by name, when a run
// has no watcher (--no-wait).
type clusterCSRs struct {
	once   sync.Once
	byName map[string]*certv1.CertificateSigningRequest
	err    error
}

// csrNamed is the CSR named name as this run last saw it, or nil.
func (r *runner) csrNamed(ctx context.Context, name string) (*certv1.CertificateSigningRequest, error) {
	if r.watcher != nil { // the latest copy
		if err := r.watcher.Synced(ctx); err != nil {
			return nil, err
		}
		csr, _ := r.watcher.Get(name)
		return csr, nil
	}
	r.listed.once.Do(func() {
		list, err := r.opts.CSRs.List(ctx, metav1.ListOptions{LabelSelector: kube.Selector(r.lineage)})
		if err != nil {
			r.listed.err = fmt.Errorf("listing CSRs: %w", err)
			return
		}
		r.listed.byName = map[string]*certv1.CertificateSigningRequest{}
		for i := range list.Items {
			r.listed.byName[list.Items[i].Name] = &list.Items[i]
		}
	})
	return r.listed.byName[name], r.listed.err
}

// adopt resumes the CSR that an interrupted run recorded as submitting,
// with the key that run generated for it.
func (r *runner) adopt(ctx context.Context, c *config.Certificate, rec *state.Certificate, key crypto.Signer,
	csr *certv1.CertificateSigningRequest, idle func()) error {
	if csr == nil {
		return fmt.Errorf("CSR %s, submitted by an interrupted run, is gone; run certform apply again to submit a new one", rec.CSRName)
	}
	if !madeWith(csr, r.lineage, rec.KeySHA256) || csr.Spec.SignerName != c.SignerName || !sameUsages(csr, c.Usages) ||
		pki.RequestMatches(csr.Spec.Request, key.Public(), c.Request) != nil {
		return fmt.Errorf("CSR %s is not the request an interrupted run submitted for this key; run certform plan again", rec.CSRName)
	}
	rec.CSRUID, rec.Status = string(csr.UID), state.StatusPending
	r.report(Event{Addr: c.Addr, Phase: PhaseSubmitted, CSRName: csr.Name, Message: "adopted from an interrupted run"})
	return r.await(ctx, c, rec, key, csr, r.recordAsync(c.Addr, rec.DeepCopy()), idle)
}

// retire deletes the CSR a superseded submitting record names, if an
// interrupted run did create it with the record's key, so that the key
// can go without leaving a CSR of this state behind.
func (r *runner) retire(ctx context.Context, rec *state.Certificate) error {
	csr, err := r.opts.CSRs.Get(ctx, rec.CSRName, getOptions)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading CSR %s, which an interrupted run may have created: %w", rec.CSRName, err)
	}
	if !madeWith(csr, r.lineage, rec.KeySHA256) {
		return nil // someone else's object of that name: not ours to delete
	}
	pre := metav1.Preconditions{UID: &csr.UID}
	err = r.opts.CSRs.Delete(ctx, csr.Name, metav1.DeleteOptions{Preconditions: &pre})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting CSR %s of a superseded submission: %w", csr.Name, err)
	}
	return nil
}

// withdraw deletes the CSR of a pending record that is being replaced,
// only the very object state recorded (its UID). A failure is a warning:
// the new CSR does not depend on it, and the cluster's cleaner removes a
// pending CSR after 24 h.
func (r *runner) withdraw(ctx context.Context, rec *state.Certificate) {
	pre := metav1.Preconditions{UID: typesUID(rec.CSRUID)}
	err := r.opts.CSRs.Delete(ctx, rec.CSRName, metav1.DeleteOptions{Preconditions: &pre})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		r.report(Event{Addr: rec.Addr, Phase: PhaseWarning, Message: fmt.Sprintf("CSR %s of the replaced request was left in the cluster: %v", rec.CSRName, err)})
	}
}

// madeWith reports whether csr is this lineage's and was signed by the key
// with fingerprint fp.
func madeWith(csr *certv1.CertificateSigningRequest, lineage, fp string) bool {
	if csr.Labels[kube.LabelLineage] != lineage {
		return false
	}
	req, err := pki.ParseCSRPEM(csr.Spec.Request)
	if err != nil {
		return false
	}
	got, err := pki.Fingerprint(req.PublicKey)
	return err == nil && got == fp
}

// notCreated reports whether a failed create certainly made no object:
// the API server refused it (a 4xx status other than a timeout) or the
// name is taken by an object that is not ours. Anything else (a cancelled
// context, a timeout, a lost connection, a server error) may have created
// it.
func notCreated(err error) bool {
	var conflict *kube.ConflictError
	if errors.As(err, &conflict) {
		return true
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	code := status.Status().Code
	return code >= 400 && code < 500 && code != http.StatusRequestTimeout
}

// heldKey returns the private key with fingerprint fp if certform holds it:
// in the keystore, or in the configured key file.
func (r *runner) heldKey(c *config.Certificate, fp string) crypto.Signer {
	if key, err := r.opts.Keys.Get(fp); err == nil {
		return key
	}
	data, err := os.ReadFile(r.dir.Path(c.Output.KeyFile))
	if err != nil {
		return nil
	}
	key, err := pki.ParsePrivateKeyPEM(data)
	if err != nil {
		return nil
	}
	if got, _ := pki.Fingerprint(key.Public()); got != fp {
		return nil
	}
	return key
}

func sameUsages(csr *certv1.CertificateSigningRequest, usages []string) bool {
	got := make([]string, len(csr.Spec.Usages))
	for i, u := range csr.Spec.Usages {
		got[i] = string(u)
	}
	want := slices.Clone(usages)
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(got, want)
}
