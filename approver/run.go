package approver

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"

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
	// Metrics, when set, counts decisions and times them.
	Metrics *Metrics
	// Cluster is what context rules read; nil fails every policy that has
	// them (nothing is decided).
	Cluster ClusterView
	// Events, when set, records an Event on each CSR decided.
	Events record.EventRecorder
	// RetryBase is the first wait before Watch decides a CSR again whose
	// decision could not be written (1s when 0); it doubles per failure up
	// to five minutes.
	RetryBase time.Duration
}

// retryDelay is the wait after the n-th consecutive failure.
func (o *Options) retryDelay(n int) time.Duration {
	base := o.RetryBase
	if base <= 0 {
		base = time.Second
	}
	d := base << min(n-1, 20)
	return min(d, 5*time.Minute)
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
// again until it changes. A decision that could not be written (RBAC, the
// network) is tried again with exponential backoff, so fixing the cause is
// enough.
func Watch(ctx context.Context, o Options) error {
	w := kube.NewWatcher(o.CSRs, "")
	go w.Run(ctx)
	if err := w.Synced(ctx); err != nil {
		return nil // ctx ended before the first list
	}
	seen := map[types.UID]string{} // UID → resourceVersion decided
	failures := map[types.UID]int{}
	notBefore := map[types.UID]time.Time{}
	retry := make(chan struct{}, 1)
	for {
		list, changed := w.Snapshot()
		slices.SortFunc(list, func(a, b *certv1.CertificateSigningRequest) int { return strings.Compare(a.Name, b.Name) })
		now, present := time.Now(), map[types.UID]bool{}
		for _, csr := range list {
			present[csr.UID] = true
			if rv, ok := seen[csr.UID]; ok && rv == csr.ResourceVersion || now.Before(notBefore[csr.UID]) {
				continue
			}
			if err := o.handle(ctx, csr); err != nil {
				failures[csr.UID]++
				delay := o.retryDelay(failures[csr.UID])
				notBefore[csr.UID] = now.Add(delay)
				time.AfterFunc(delay, func() {
					select {
					case retry <- struct{}{}:
					default:
					}
				})
				continue
			}
			seen[csr.UID] = csr.ResourceVersion
			delete(failures, csr.UID)
			delete(notBefore, csr.UID)
		}
		for uid := range seen {
			if !present[uid] {
				delete(seen, uid)
				delete(failures, uid)
				delete(notBefore, uid)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-retry:
		}
	}
}

// handle decides one CSR and applies the decision, returning the error
// that kept it from being written.
func (o *Options) handle(ctx context.Context, csr *certv1.CertificateSigningRequest) error {
	start := time.Now()
	d, err := DecideIn(ctx, csr, o.Policies, o.Cluster, false)
	if err != nil {
		o.Metrics.count(Skip, err)
		if o.Report != nil {
			o.Report(Decision{CSR: csr.Name, Verdict: Skip, Message: "not decided"}, err)
		}
		return err
	}
	if d.Decided {
		return nil
	}
	if d.Verdict == Skip && o.DenyUnmatched {
		d.Verdict, d.Message = Deny, "denied by certform: no policy applies to this signer and requester (--deny-unmatched)"
	}
	if d.Verdict != Skip && !o.DryRun {
		err = decide(ctx, o.CSRs, csr, d)
		if err == nil && o.Events != nil {
			o.Events.Event(csr, eventType[d.Verdict], eventReason[d.Verdict], d.Message)
		}
	}
	o.Metrics.count(d.Verdict, err)
	o.Metrics.observe(d.Verdict, time.Since(start))
	if o.Report != nil {
		o.Report(d, err)
	}
	return err
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
