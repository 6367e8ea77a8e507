package approver

import (
	"context"
	"errors"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// TestWatchRetriesFailedDecisions: a decision whose write fails is tried
// again (with backoff) until it is written, without the CSR changing.
func TestWatchRetriesFailedDecisions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	csr := corpus["baseline ecdsa"].build(t, "flaky")
	csr.UID, csr.ResourceVersion = "uid-flaky", "1"
	cs := fake.NewClientset(csr)
	failures := 3
	cs.PrependReactor("update", "certificatesigningrequests", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() == "approval" && failures > 0 {
			failures--
			return true, nil, errors.New("connection refused")
		}
		return false, nil, nil
	})
	reports := make(chan error, 10)
	m := &Metrics{}
	go Watch(ctx, Options{CSRs: cs.CertificatesV1().CertificateSigningRequests(), Policies: loadCorpusPolicy(t),
		RetryBase: time.Millisecond, Metrics: m, Report: func(_ Decision, err error) { reports <- err }})
	var errs int
	for {
		select {
		case err := <-reports:
			if err != nil {
				errs++
				continue
			}
			if errs != 3 {
				t.Fatalf("approved after %d failures, want 3", errs)
			}
			got, _ := cs.CertificatesV1().CertificateSigningRequests().Get(ctx, "flaky", metav1.GetOptions{})
			if len(got.Status.Conditions) != 1 || got.Status.Conditions[0].Type != certv1.CertificateApproved {
				t.Fatalf("conditions %+v", got.Status.Conditions)
			}
			if m.errors != 3 {
				t.Errorf("metrics count %d errors, want 3", m.errors)
			}
			return
		case <-ctx.Done():
			t.Fatalf("never approved; %d failures reported", errs)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	o := Options{RetryBase: time.Second}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 30: 5 * time.Minute} {
		if got := o.retryDelay(n); got != want {
			t.Errorf("retryDelay(%d) = %s, want %s", n, got, want)
		}
	}
}
