package apply

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/testcluster"
	"github.com/certform/certform/state"
)

// cancelAtApproval cancels the run as the approval of a CSR is about to
// be sent, as a Ctrl-C between the create and the approval would, and
// fails that request.
type cancelAtApproval struct {
	next   http.RoundTripper
	cancel context.CancelFunc
}

func (c *cancelAtApproval) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/approval") {
		c.cancel()
		return nil, context.Canceled
	}
	return c.next.RoundTrip(r)
}

// TestInterruptAtApprovalKeepsPending: an interrupt after the CSR was
// created and before certform approved it leaves the address pending
// with its key kept, reported as such (not failed), so the next apply
// approves and collects it.
func TestInterruptAtApprovalKeepsPending(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: testcluster.Shared(t).AdminKubeconfig,
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper { return &cancelAtApproval{next: rt, cancel: cancel} }})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.config("")
	var mu sync.Mutex
	var events []Event
	st, err := Apply(ctx, e.plan(cfg, time.Now()), cfg, e.st, Options{CSRs: cs.CertificatesV1().CertificateSigningRequests(),
		Core: cs.CoreV1(), Keys: e.keys, WaitTimeout: time.Minute,
		Report: func(ev Event) { mu.Lock(); events = append(events, ev); mu.Unlock() }})
	if failed, _ := Failures(err); len(failed) > 0 {
		t.Errorf("the interrupted address is reported failed: %v", err)
	}
	pending := false
	for _, ev := range events {
		switch {
		case ev.Phase == PhaseFailed:
			t.Errorf("event %s %s: %s", ev.Addr, ev.Phase, ev.Message)
		case ev.Phase == PhasePending && strings.Contains(ev.Message, "interrupted"):
			pending = true
		}
	}
	if !pending {
		t.Errorf("no pending event for the interrupted address: %+v", events)
	}
	rec := st.Certificates["certificate.web"]
	if rec == nil || rec.Status != state.StatusPending || rec.CSRName == "" {
		t.Fatalf("record after the interrupt: %+v", rec)
	}
	if _, err := e.csrs.Get(context.Background(), rec.CSRName, metav1.GetOptions{}); err != nil {
		t.Errorf("the CSR created before the interrupt: %v", err)
	}
	if _, err := e.keys.Get(rec.KeySHA256); err != nil {
		t.Errorf("the key of the pending CSR is not kept: %v", err)
	}
}
