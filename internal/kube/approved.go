package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

// WaitApproved blocks until the CSR name with uid is approved but not yet
// signed, and then returns true. It returns false when the CSR is signed,
// refused or gone first, or when ctx ends: then there is nothing to say
// about a signer that does not sign.
func (w *Watcher) WaitApproved(ctx context.Context, name string, uid types.UID) bool {
	for {
		w.mu.Lock()
		csr, found := w.objects[name]
		changed, deleted := w.changed, w.deleted[uid]
		w.mu.Unlock()
		if deleted || found && csr.UID != uid {
			return false
		}
		if found {
			if _, refused := Refusal(csr); refused || len(csr.Status.Certificate) > 0 {
				return false
			}
			if IsApproved(csr) {
				return true
			}
		}
		select {
		case <-ctx.Done():
			return false
		case <-changed:
		}
	}
}

// maxWarnings bounds how many of a CSR's Warning events are quoted.
const maxWarnings = 5

// WarningEvents summarises the Warning events whose involved object is the
// CSR name with uid, newest first, as "Reason: message (xN)"; a signer that
// cannot sign usually says why there. CSRs are cluster-scoped, so their
// events may be in any namespace ("default" for most recorders).
func WarningEvents(ctx context.Context, events corev1client.EventsGetter, name string, uid types.UID) ([]string, error) {
	list, err := events.Events(metav1.NamespaceAll).List(ctx, metav1.ListOptions{FieldSelector: warningSelector(name, uid), Limit: 100})
	if err != nil {
		return nil, fmt.Errorf("listing the events of CSR %s: %w", name, explain(err, ruleEvents))
	}
	return summarize(list.Items), nil
}

// warningSelector selects the Warning events of the CSR name with uid.
func warningSelector(name string, uid types.UID) string {
	sel := fields.Set{"involvedObject.kind": "CertificateSigningRequest", "involvedObject.name": name, "type": corev1.EventTypeWarning}
	if uid != "" {
		sel["involvedObject.uid"] = string(uid)
	}
	return sel.AsSelector().String()
}

// summarize renders at most maxWarnings events, newest first, as
// "Reason: message (xN)".
func summarize(items []corev1.Event) []string {
	items = slices.Clone(items)
	slices.SortFunc(items, func(a, b corev1.Event) int { return lastSeen(b).Compare(lastSeen(a).Time) })
	var out []string
	for _, ev := range items[:min(len(items), maxWarnings)] {
		s := ev.Reason + ": " + strings.TrimSpace(ev.Message)
		if ev.Count > 1 {
			s += fmt.Sprintf(" (x%d)", ev.Count)
		}
		out = append(out, s)
	}
	return out
}

func lastSeen(ev corev1.Event) metav1.Time {
	if !ev.LastTimestamp.IsZero() {
		return ev.LastTimestamp
	}
	if !ev.EventTime.IsZero() {
		return metav1.Time{Time: ev.EventTime.Time}
	}
	return ev.CreationTimestamp
}

// ruleEvents is cluster-wide: a CSR's events may be in any namespace.
var ruleEvents = Rule{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"list"}}
