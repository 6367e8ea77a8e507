package apply

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/fault"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// issue submits a new CSR for ch and, unless --no-wait, collects it. Key
// generation and file writes run in local slots, the API calls and the wait
// in API slots, so neither kind of work holds up the other.
func (r *runner) issue(ctx context.Context, ch *plan.Change, idle func()) error {
	c := r.cfg[ch.Addr]
	r.report(Event{Addr: ch.Addr, Phase: PhaseStart, Message: string(ch.Action)})
	if ch.Before != nil && ch.Before.Status == state.StatusSubmitting {
		// This issue supersedes a submission an interrupted run may have made.
		if err := r.stage(ctx, r.api, func() error { return r.retire(ctx, ch.Before) }); err != nil {
			return err
		}
	}
	if ch.Before != nil && ch.Before.Status == state.StatusPending && ch.Before.CSRName != "" {
		// The CSR this issue replaces will never be collected: withdrawn,
		// so that an approved one is not signed for a key that is gone and
		// the cluster keeps no stale request of this state.
		r.stage(ctx, r.api, func() error { r.withdraw(ctx, ch.Before); return nil })
	}
	var (
		key crypto.Signer
		fp  string
		req []byte
	)
	err := r.stage(ctx, r.local, func() (err error) {
		if key, err = r.keyFor(ctx, c, ch); err != nil {
			return err
		}
		if fp, err = r.opts.Keys.Put(key); err != nil {
			return err
		}
		req, err = pki.CreateCSR(key, c.Request)
		return err
	})
	if err != nil {
		return err
	}
	fault.Point(fault.AfterKeygen)
	// Before the create is sent, the kept key and a record naming the CSR
	// it may make are durable: however the create ends (an interrupt
	// cancels it after the API server has it), the next run knows which
	// CSR may exist and keeps its key until it knows.
	sub := &state.Certificate{Addr: c.Addr, Request: *ch.After, KeySHA256: fp,
		CSRName: CSRName(c, fp, ch.Before), Status: state.StatusSubmitting}
	if ch.Before != nil {
		// the old files and Secret stay until the new ones replace them;
		// until then state must keep naming them, or a Secret that moves
		// with this reissue would be left behind, forgotten
		sub.Files, sub.FilesOrigin, sub.Secret = ch.Before.Files, ch.Before.FilesOrigin, ch.Before.Secret
	}
	if err := r.record(c.Addr, sub, r.opts.Keys.Dir); err != nil {
		return err
	}
	fault.Point(fault.Submitting)
	var (
		csr     *certv1.CertificateSigningRequest
		rec     *state.Certificate
		durable func() error
	)
	// The create and the approval go out back to back in one API slot, as
	// a client-go loop sends them: the approval does not wait for the
	// pending record to be durable, since the submitting record and the
	// kept key already are, and they are all a run interrupted after the
	// approval needs to adopt the CSR (adopt.go). The pending record is
	// durable before the wait for the signer begins.
	err = r.stage(ctx, r.api, func() (err error) {
		csr, err = kube.Submit(ctx, r.opts.CSRs, kube.SubmitRequest{
			Name: sub.CSRName, Addr: c.Addr, Lineage: r.lineage, Request: req,
			SignerName: c.SignerName, Usages: c.Usages, ExpirationSeconds: c.ExpirationSeconds,
			Matches: func(existing []byte) error { return pki.RequestMatches(existing, key.Public(), c.Request) },
		})
		if err != nil {
			return err
		}
		fault.Point(fault.AfterCreate)
		rec = sub.DeepCopy()
		rec.CSRName, rec.CSRUID, rec.Status = csr.Name, string(csr.UID), state.StatusPending
		// made durable by a commit shared with the other addresses
		// submitted meanwhile, while the approval goes out
		durable = r.recordAsync(c.Addr, rec)
		r.report(Event{Addr: c.Addr, Phase: PhaseSubmitted, CSRName: csr.Name})
		csr, err = r.approve(ctx, c, rec, csr)
		return err
	})
	if err != nil && rec != nil && ctx.Err() != nil {
		// Interrupted after the create: the CSR exists, its key is kept
		// and its pending record is on its way to the journal (the run's
		// last commit waits for it); the next apply approves and
		// collects it.
		r.report(Event{Addr: c.Addr, Phase: PhasePending, CSRName: rec.CSRName,
			Message: "interrupted before its approval; it stays pending with its key kept, and the next apply approves and collects it"})
		return errLeftPending
	}
	if err != nil {
		if rec == nil && ctx.Err() == nil && notCreated(err) {
			// Refused: nothing was created, and the record goes back to
			// what it was (the key is cleaned at the end of the run).
			var before *state.Certificate
			if ch.Before != nil {
				before = ch.Before.DeepCopy()
			}
			r.recordAsync(c.Addr, before)
		}
		return err
	}
	if err := durable(); err != nil {
		return err
	}
	return r.collectWhenIssued(ctx, c, rec, key, csr, idle)
}

// await waits until the pending record is durable, approves (when
// configured) in an API slot, then waits for the certificate and collects
// it (collectWhenIssued).
func (r *runner) await(ctx context.Context, c *config.Certificate, rec *state.Certificate, key crypto.Signer,
	csr *certv1.CertificateSigningRequest, durable func() error, idle func()) error {
	if err := durable(); err != nil {
		return err
	}
	err := r.stage(ctx, r.api, func() (err error) {
		csr, err = r.approve(ctx, c, rec, csr)
		return err
	})
	if err != nil {
		return err
	}
	return r.collectWhenIssued(ctx, c, rec, key, csr, idle)
}

// collectWhenIssued waits for the certificate of an approved (or
// awaiting approval) CSR holding no slot at all: the shared watch costs
// the API server nothing per CSR, so a slow signer or a human approver
// does not keep other addresses from being submitted. idle is called as
// the wait begins. The certificate is then collected in a local slot.
func (r *runner) collectWhenIssued(ctx context.Context, c *config.Certificate, rec *state.Certificate, key crypto.Signer,
	csr *certv1.CertificateSigningRequest, idle func()) error {
	idle()
	issued, waited, err := r.wait(ctx, rec, csr)
	if err != nil && ctx.Err() != nil {
		// The record is durable and the key kept: the CSR is not lost,
		// only no longer waited for.
		r.report(Event{Addr: c.Addr, Phase: PhasePending, CSRName: rec.CSRName,
			Message: "interrupted while waiting; it stays pending with its key kept, and the next apply collects it"})
		return errLeftPending
	}
	if err != nil || issued == nil {
		if err == nil {
			r.report(Event{Addr: c.Addr, Phase: PhasePending, CSRName: rec.CSRName,
				Message: "left pending (--no-wait); a later apply collects it"})
		}
		return err
	}
	return r.stage(ctx, r.local, func() error { return r.collect(ctx, c, rec, key, issued, waited) })
}

// resume continues a CSR submitted by an earlier run, with its kept key,
// or adopts the one an interrupted run was submitting.
func (r *runner) resume(ctx context.Context, ch *plan.Change, idle func()) error {
	c := r.cfg[ch.Addr]
	rec := ch.Before.DeepCopy()
	key := r.heldKey(c, rec.KeySHA256)
	if key == nil {
		return fmt.Errorf("the key of CSR %s is neither kept in %s nor in %s; run plan again to replace it",
			rec.CSRName, r.opts.Keys.Dir, c.Output.KeyFile)
	}
	// The object as last listed (the watcher's copy, or one List per run
	// with --no-wait): approved already, or even issued.
	csr, err := r.csrNamed(ctx, rec.CSRName)
	if err != nil {
		return err
	}
	if rec.Status == state.StatusSubmitting {
		return r.adopt(ctx, c, rec, key, csr, idle)
	}
	if csr != nil && string(csr.UID) != rec.CSRUID {
		csr = nil
	}
	return r.await(ctx, c, rec, key, csr, func() error { return nil }, idle)
}

// approve approves the CSR when the configuration says so (csr is the
// object when the caller has it, else nil) and returns the object as last
// seen, or reminds how a human approves it.
func (r *runner) approve(ctx context.Context, c *config.Certificate, rec *state.Certificate,
	csr *certv1.CertificateSigningRequest) (*certv1.CertificateSigningRequest, error) {
	approved := csr != nil && kube.IsApproved(csr)
	switch {
	case c.SelfApprove && !approved:
		if csr == nil {
			var err error
			if csr, err = r.opts.CSRs.Get(ctx, rec.CSRName, getOptions); err != nil {
				return nil, fmt.Errorf("reading CSR %s: %w", rec.CSRName, err)
			}
		}
		if _, err := kube.Approve(ctx, r.opts.CSRs, csr); err != nil {
			return nil, err
		}
		fault.Point(fault.AfterApprove)
		r.report(Event{Addr: c.Addr, Phase: PhaseApproved, CSRName: rec.CSRName})
	case !approved:
		r.report(Event{Addr: c.Addr, Phase: PhaseAwaitApproval, CSRName: rec.CSRName,
			Message: "kubectl certificate approve " + rec.CSRName})
	}
	return csr, nil
}

// wait returns the issued CSR and the time waited for it; nil without an
// error means it is left pending (--no-wait). csr is the object as last
// seen, or nil.
func (r *runner) wait(ctx context.Context, rec *state.Certificate,
	csr *certv1.CertificateSigningRequest) (*certv1.CertificateSigningRequest, time.Duration, error) {
	if r.watcher == nil { // --no-wait: collect what is issued already, wait for nothing
		if csr != nil && len(csr.Status.Certificate) > 0 {
			return csr, 0, nil
		}
		return nil, 0, nil
	}
	fault.Point(fault.Waiting)
	start := time.Now()
	waitCtx, cancel := context.WithTimeout(ctx, r.opts.WaitTimeout)
	defer cancel()
	go r.watchSigner(waitCtx, r.cfg[rec.Addr], rec)
	issued, err := r.watcher.Wait(waitCtx, rec.CSRName, types.UID(rec.CSRUID))
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil && r.approvedUnsigned(rec) {
		return nil, 0, fmt.Errorf("timed out after %s: CSR %s is %s; check that a signer for it runs and can sign",
			r.opts.WaitTimeout, rec.CSRName, r.signerWaitDetail(ctx, rec))
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return nil, 0, fmt.Errorf("timed out after %s waiting for CSR %s to be approved and signed; approve it with 'kubectl certificate approve %s' and run certform apply again",
			r.opts.WaitTimeout, rec.CSRName, rec.CSRName)
	}
	if err != nil {
		return nil, 0, err
	}
	return issued, time.Since(start), nil
}

// keyFor returns the key to submit: the existing one when the plan reuses
// it (from its file, or from the Secret that is its home), else a new one.
func (r *runner) keyFor(ctx context.Context, c *config.Certificate, ch *plan.Change) (crypto.Signer, error) {
	if !ch.ReuseKey {
		return pki.GenerateKey(c.Key.KeySpec)
	}
	from, _, _ := ch.Before.FileWithRole(state.RoleKey)
	data := r.recordedFile(ch.Before, state.RoleKey)
	if data == nil && ch.Before.Secret != nil {
		var err error
		if data, _, err = r.fromHome(ctx, ch.Before); err != nil {
			return nil, fmt.Errorf("reading key to reuse (rotation = \"never\"): %w", err)
		}
		from = "Secret " + ch.Before.Secret.Namespace + "/" + ch.Before.Secret.Name
	}
	if data == nil {
		return nil, fmt.Errorf("reading key to reuse (rotation = \"never\"): key file %s no longer holds what certform wrote", from)
	}
	key, err := pki.ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("reading key to reuse from %s: %w", from, err)
	}
	if fp, _ := pki.Fingerprint(key.Public()); fp != ch.Before.KeySHA256 {
		return nil, fmt.Errorf("%s no longer holds the recorded key", from)
	}
	return key, nil
}

var nameUnsafe = regexp.MustCompile(`[^a-z0-9.-]+`)

// CSRName is the CSR object name for c's next submission with the key
// fingerprint fp: the configured csr_name, else one derived from the address
// and the key, so a resubmission with the same key finds its own object and
// a new key never collides with an old CSR. When that name is the one the
// prior record used (a reused key, or a fixed csr_name), a generation suffix
// keeps the new CSR apart from the old one. Both are derived from state and
// the key, so a run resumed after a crash picks the same name again.
func CSRName(c *config.Certificate, fp string, prior *state.Certificate) string {
	base := c.CSRName
	if base == "" {
		base = csrBase(c.Addr)
		base = strings.Trim(nameUnsafe.ReplaceAllString(strings.ToLower(base), "-"), "-.")
		if len(base) > 200 {
			base = base[:200]
		}
		base += "-" + fp[:12]
	}
	if prior == nil {
		return base
	}
	if prior.CSRName == base {
		return base + "-2"
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(prior.CSRName, base+"-")); err == nil && strings.HasPrefix(prior.CSRName, base+"-") {
		return base + "-" + strconv.Itoa(n+1)
	}
	return base
}

// csrBase is the readable part of a derived CSR name: the address without
// its kinds, e.g. pod["a"] for certificate.pod["a"] and web-a.tls for
// module.web["a"].certificate.tls (made DNS-safe by the caller).
func csrBase(addr string) string {
	a, err := plan.ParseAddr(addr)
	if err != nil {
		return addr
	}
	var parts []string
	for _, step := range a.Module.Steps() {
		part := step.Name
		if step.HasKey {
			part += "-" + step.Key
		}
		parts = append(parts, part)
	}
	inRoot := plan.Addr{Kind: a.Kind, Name: a.Name, Key: a.Key, HasKey: a.HasKey}
	return strings.Join(append(parts, strings.TrimPrefix(inRoot.String(), a.Kind+".")), ".")
}

func typesUID(uid string) *types.UID {
	u := types.UID(uid)
	return &u
}
