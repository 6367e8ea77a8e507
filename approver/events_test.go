package approver

import (
	"context"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// eventLog collects the approver's Events as the apiserver stores them.
type eventLog struct {
	mu      sync.Mutex
	changed *sync.Cond
	reasons map[string][]string // CSR name → reasons
	done    bool
}

// watchEvents starts watching Events in namespace default, where the
// Events of cluster-scoped objects live.
func watchEvents(t *testing.T, ctx context.Context, cs kubernetes.Interface) *eventLog {
	t.Helper()
	w, err := cs.CoreV1().Events(metav1.NamespaceDefault).Watch(ctx, metav1.ListOptions{
		FieldSelector: "involvedObject.kind=CertificateSigningRequest,source=" + EventComponent})
	if err != nil {
		t.Fatal(err)
	}
	l := &eventLog{reasons: map[string][]string{}}
	l.changed = sync.NewCond(&l.mu)
	go func() {
		defer func() {
			l.mu.Lock()
			l.done = true
			l.changed.Broadcast()
			l.mu.Unlock()
		}()
		for ev := range w.ResultChan() {
			if e, ok := ev.Object.(*corev1.Event); ok {
				l.mu.Lock()
				l.reasons[e.InvolvedObject.Name] = append(l.reasons[e.InvolvedObject.Name], e.Reason)
				l.changed.Broadcast()
				l.mu.Unlock()
			}
		}
	}()
	context.AfterFunc(ctx, w.Stop)
	t.Cleanup(w.Stop)
	return l
}

// await waits until an Event with reason is recorded for CSR name.
func (l *eventLog) await(t *testing.T, ctx context.Context, name, reason string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		for _, r := range l.reasons[name] {
			if r == reason {
				return
			}
		}
		// Each decision records one Event: another reason is a wrong one.
		if len(l.reasons[name]) > 0 || l.done || ctx.Err() != nil {
			t.Errorf("no Event %s on CSR %s (got %q)", reason, name, l.reasons[name])
			return
		}
		l.changed.Wait()
	}
}
