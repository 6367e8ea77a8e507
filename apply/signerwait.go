package apply

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/state"
)

// signerGrace is how long a CSR certform approved itself may stay unsigned
// before apply says it is waiting for the signer and follows the CSR's
// Warning events: the built-in signers sign within milliseconds, and saying
// so (or asking the API server for events) for each of them would be noise.
// A CSR someone else approved is reported as soon as it is seen approved,
// since until then apply was asking a person to approve it. (A variable
// for tests; each run reads it once, into runner.signerGrace.)
var signerGrace = 5 * time.Second

// watchSigner reports that the CSR of rec was approved and now waits for
// its signer, with the Warning events the signer left on it, and reports
// again whenever a new Warning event appears: a third-party signer (such
// as cert-manager's, for an issuer that does not exist) says why it does
// not sign only there. A CSR someone else approved is reported as soon as
// it is seen approved. A CSR certform approved itself is left alone for
// signerGrace: the built-in signers sign within milliseconds, and
// following the events of each of thousands of CSRs would cost the API
// server a list and a watch per certificate for nothing; one still
// unsigned then is reported, with its Warning events, and followed. It
// returns when ctx ends or when there is nothing to report (signed,
// refused, gone).
func (r *runner) watchSigner(ctx context.Context, c *config.Certificate, rec *state.Certificate) {
	uid := types.UID(rec.CSRUID)
	if c == nil || !r.watcher.WaitApproved(ctx, rec.CSRName, uid) {
		return
	}
	if c.SelfApprove {
		t := time.NewTimer(r.signerGrace)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !r.approvedUnsigned(rec) {
			return
		}
	}
	warnings, followErr := r.followWarnings(ctx, rec)
	// Without a client to follow events with, or once following fails,
	// report at once what one list says (signerWaitDetail).
	var now <-chan time.Time
	if warnings == nil {
		now = closedTime
	}
	reported := false
	report := func(msg string) {
		if r.approvedUnsigned(rec) {
			r.report(Event{Addr: c.Addr, Phase: PhaseAwaitSigner, CSRName: rec.CSRName, Message: msg})
			reported = true
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-now:
			now = nil
			if !reported {
				report(r.signerWaitDetail(ctx, rec))
			}
		case w := <-warnings:
			now = nil
			report(signerWaitMessage(rec, w))
		case <-followErr:
			// Events cannot be followed (no "watch" on events).
			warnings, followErr = nil, nil
			if !reported {
				now = closedTime
			}
		}
	}
}

// closedTime is a channel that is always ready: no grace at all.
var closedTime = func() <-chan time.Time {
	c := make(chan time.Time)
	close(c)
	return c
}()

// followWarnings follows the Warning events of rec's CSR until ctx ends:
// each summary arrives on the first channel (a new one replacing one not
// yet read); the second is closed if following stops early. Both are nil
// when there is no client to read events with.
func (r *runner) followWarnings(ctx context.Context, rec *state.Certificate) (<-chan []string, <-chan struct{}) {
	if r.opts.Core == nil {
		return nil, nil
	}
	warnings, stopped := make(chan []string, 1), make(chan struct{})
	go func() {
		err := kube.FollowWarnings(ctx, r.opts.Core, rec.CSRName, types.UID(rec.CSRUID), func(w []string) {
			select {
			case <-warnings:
			default:
			}
			warnings <- w
		})
		if err != nil {
			close(stopped)
		}
	}()
	return warnings, stopped
}

// signerWaitMessage says that the CSR is approved and which signer it
// waits for, with the Warning events given.
func signerWaitMessage(rec *state.Certificate, warnings []string) string {
	msg := "approved, waiting for the signer " + rec.Request.SignerName
	if len(warnings) > 0 {
		msg += "; its Warning events: " + strings.Join(warnings, "; ")
	}
	return msg
}

// signerWaitDetail says that the CSR is approved and which signer it waits
// for, with the Warning events a signer left on it.
func (r *runner) signerWaitDetail(ctx context.Context, rec *state.Certificate) string {
	if r.opts.Core == nil {
		return signerWaitMessage(rec, nil)
	}
	events, err := kube.WarningEvents(ctx, r.opts.Core, rec.CSRName, types.UID(rec.CSRUID))
	if err != nil && ctx.Err() == nil {
		return signerWaitMessage(rec, nil) + fmt.Sprintf(" (its events could not be read: %v)", err)
	}
	return signerWaitMessage(rec, events)
}

// approvedUnsigned reports whether the watcher last saw the CSR of rec
// approved and not yet signed.
func (r *runner) approvedUnsigned(rec *state.Certificate) bool {
	csr, ok := r.watcher.Get(rec.CSRName)
	return ok && string(csr.UID) == rec.CSRUID && kube.IsApproved(csr) && len(csr.Status.Certificate) == 0
}
