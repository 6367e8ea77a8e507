package approver

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
)

// Event reasons and types, per verdict. The Event goes on the CSR, so
// `kubectl describe csr NAME` and `kubectl events` show who decided it and
// why; CSRs are cluster-scoped, so their Events live in namespace default.
var (
	eventReason = map[Verdict]string{Approve: "CertformApproved", Deny: "CertformDenied"}
	eventType   = map[Verdict]string{Approve: corev1.EventTypeNormal, Deny: corev1.EventTypeWarning}
)

// EventComponent is the source component of the approver's Events.
const EventComponent = "certform-approver"

// NewEventRecorder returns a recorder that writes Events through client
// until ctx ends. Writing is asynchronous and rate-limited by client-go, so
// an apiserver that refuses Events never slows a decision.
func NewEventRecorder(ctx context.Context, client kubernetes.Interface) record.EventRecorder {
	b := record.NewBroadcaster(record.WithContext(ctx))
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	go func() { <-ctx.Done(); b.Shutdown() }()
	return b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: EventComponent})
}
