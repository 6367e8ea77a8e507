package approver

import (
	"context"
	"fmt"
	"slices"
	"strings"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/certform/certform/internal/kube"
)

// Reason is the reason of the conditions the approver sets.
const Reason = "CertformPolicy"

// Options configure Once and Watch.
type Options struct {
	CSRs     kube.CSRs
	Policies []*Policy
	// DryRun decides and reports, and changes nothing.
	DryRun bool
	// DenyUnmatched denies CSRs no policy speaks for, instead of leaving them.
	DenyUnmatched bool
	// Report receives every decision and the error applying it, if any.
	Report func(Decision, error)
	// Metrics, when set, counts decisions.
	Metrics *Metrics
}

// Once decides every pending CSR in the cluster once.
func Once(ctx context.Context, o Options) error {
	list, err := o.CSRs.List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing CSRs: %w", err)
	}
	slices.SortFunc(list.Items, func(a, b certv1.CertificateSigningRequest) int { return strings.Compare(a.Name, b.Name) })
	for i := range list.Items {
		o.handle(ctx, &list.Items[i])
	}
	return nil
}

// Watch decides pending CSRs as they appear, until ctx ends. It evaluates
// each CSR once per version of it, so a CSR left alone is not reported
// again until it changes.
func Watch(ctx context.Context, o Options) error {
	w := kube.NewWatcher(o.CSRs, "")
	go w.Run(ctx)
	if err := w.Synced(ctx); err != nil {
		return nil // ctx ended before the first list
	}
	seen := map[types.UID]string{} // UID → resourceVersion evaluated
	for {
		list, changed := w.Snapshot()
		slices.SortFunc(list, func(a, b *certv1.CertificateSigningRequest) int { return strings.Compare(a.Name, b.Name) })
		for _, csr := range list {
			if seen[csr.UID] == csr.ResourceVersion {
				continue
			}
			seen[csr.UID] = csr.ResourceVersion
			o.handle(ctx, csr)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		}
	}
}

// handle decides one CSR and applies the decision.
func (o *Options) handle(ctx context.Context, csr *certv1.CertificateSigningRequest) {
	d := Decide(csr, o.Policies)
	if d.Decided {
		return
	}
	if d.Verdict == Skip && o.DenyUnmatched {
		d.Verdict, d.Message = Deny, "denied by certform: no policy applies to this signer and requester (--deny-unmatched)"
	}
	var err error
	if d.Verdict != Skip && !o.DryRun {
		err = decide(ctx, o.CSRs, csr, d)
	}
	o.Metrics.count(d.Verdict, err)
	if o.Report != nil {
		o.Report(d, err)
	}
}

// decide writes the decision as a condition through /approval.
func decide(ctx context.Context, csrs kube.CSRs, csr *certv1.CertificateSigningRequest, d Decision) error {
	csr = csr.DeepCopy()
	t := certv1.CertificateApproved
	if d.Verdict == Deny {
		t = certv1.CertificateDenied
	}
	csr.Status.Conditions = append(csr.Status.Conditions, certv1.CertificateSigningRequestCondition{
		Type: t, Status: corev1.ConditionTrue, Reason: Reason, Message: d.Message, LastUpdateTime: metav1.Now(),
	})
	if _, err := csrs.UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("%s CSR %s: %w", map[Verdict]string{Approve: "approving", Deny: "denying"}[d.Verdict], csr.Name, err)
	}
	return nil
}
