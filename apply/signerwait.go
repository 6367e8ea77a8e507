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
// before apply says it is waiting for the signer: the built-in signers sign
// within milliseconds, and saying so for each of them would be noise. A CSR
// someone else approved is reported as soon as it is seen approved, since
// until then apply was asking a person to approve it.
const signerGrace = 5 * time.Second

// watchSigner reports, once, that the CSR of rec was approved and now waits
// for its signer, with the CSR's Warning events. It returns when ctx ends
// or when there is nothing to report (signed, refused, gone).
func (r *runner) watchSigner(ctx context.Context, c *config.Certificate, rec *state.Certificate) {
	uid := types.UID(rec.CSRUID)
	if c == nil || !r.watcher.WaitApproved(ctx, rec.CSRName, uid) {
		return
	}
	if c.SelfApprove {
		select {
		case <-ctx.Done():
			return
		case <-time.After(signerGrace):
		}
		if csr, ok := r.watcher.Get(rec.CSRName); !ok || csr.UID != uid || len(csr.Status.Certificate) > 0 {
			return
		}
	}
	r.report(Event{Addr: c.Addr, Phase: PhaseAwaitSigner, CSRName: rec.CSRName, Message: r.signerWaitDetail(ctx, rec)})
}

// signerWaitDetail says that the CSR is approved and which signer it waits
// for, with the Warning events a signer left on it.
func (r *runner) signerWaitDetail(ctx context.Context, rec *state.Certificate) string {
	msg := "approved, waiting for the signer " + rec.Request.SignerName
	if r.opts.Core == nil {
		return msg
	}
	events, err := kube.WarningEvents(ctx, r.opts.Core, rec.CSRName, types.UID(rec.CSRUID))
	switch {
	case err != nil && ctx.Err() == nil:
		msg += fmt.Sprintf(" (its events could not be read: %v)", err)
	case len(events) > 0:
		msg += "; its Warning events: " + strings.Join(events, "; ")
	}
	return msg
}

// approvedUnsigned reports whether the watcher last saw the CSR of rec
// approved and not yet signed.
func (r *runner) approvedUnsigned(rec *state.Certificate) bool {
	csr, ok := r.watcher.Get(rec.CSRName)
	return ok && string(csr.UID) == rec.CSRUID && kube.IsApproved(csr) && len(csr.Status.Certificate) == 0
}
