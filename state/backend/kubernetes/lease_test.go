package kubernetes

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/certform/certform/internal/testcluster"
	"github.com/certform/certform/state/backend"
)

// lostCause waits for the run context of a held lock to end and returns
// why; a lock that is never lost fails the test after a bound far beyond
// the TTL.
func lostCause(t *testing.T, runCtx context.Context) *backend.LockLostError {
	t.Helper()
	select {
	case <-runCtx.Done():
	case <-time.After(time.Minute):
		t.Fatal("the run's context was not cancelled although the lock could not be renewed")
	}
	var lost *backend.LockLostError
	if !errors.As(context.Cause(runCtx), &lost) {
		t.Fatalf("cause = %v, want a backend.LockLostError", context.Cause(runCtx))
	}
	return lost
}

// TestLeaseRenewalFailuresCancelTheRun: when every renewal fails (the
// apiserver answers with errors), the run's context is cancelled with the
// reason; when another run holds the Lease, at the first renewal.
func TestLeaseRenewalFailuresCancelTheRun(t *testing.T) {
	var failing atomic.Bool // the fake's reactors cannot be changed while it serves calls
	cases := map[string]struct {
		reactor func(cs *fake.Clientset)
		want    string
	}{
		"updates fail": {
			reactor: func(*fake.Clientset) { failing.Store(true) },
			want:    "etcd is down",
		},
		"another run holds it": {
			reactor: func(cs *fake.Clientset) {
				lease, _ := cs.CoordinationV1().Leases("ns").Get(context.Background(), "st-lock", metav1.GetOptions{})
				other := "other-run"
				lease.Spec.HolderIdentity = &other
				cs.CoordinationV1().Leases("ns").Update(context.Background(), lease, metav1.UpdateOptions{})
			},
			want: "another run holds it",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cs := fake.NewClientset()
			failing.Store(false)
			cs.PrependReactor("update", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
				if failing.Load() {
					return true, nil, apierrors.NewServiceUnavailable("etcd is down")
				}
				return false, nil, nil
			})
			k := &Backend{Client: cs, Namespace: "ns", Name: "st", LockTTL: 300 * time.Millisecond}
			runCtx, err := k.Lock(context.Background(), backend.NewLockInfo("apply"), 0)
			if err != nil {
				t.Fatal(err)
			}
			defer k.Unlock(t.Context())
			tc.reactor(cs)
			lost := lostCause(t, runCtx)
			if !strings.Contains(lost.Error(), tc.want) || !strings.Contains(lost.Error(), "ns/st-lock") {
				t.Errorf("error %q should say %q and name the Lease", lost, tc.want)
			}
		})
	}
}

// TestLeaseKeptWhileRenewing: a lock renewed without trouble is not lost
// over many TTLs (the watch on the context is the test's clock).
func TestLeaseKeptWhileRenewing(t *testing.T) {
	cs := fake.NewClientset()
	var renewals atomic.Int32
	cs.PrependReactor("update", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		renewals.Add(1)
		return false, nil, nil
	})
	k := &Backend{Client: cs, Namespace: "ns", Name: "st", LockTTL: 300 * time.Millisecond}
	runCtx, err := k.Lock(context.Background(), backend.NewLockInfo("apply"), 0)
	if err != nil {
		t.Fatal(err)
	}
	for renewals.Load() < 10 {
		select {
		case <-runCtx.Done():
			t.Fatalf("lock lost while renewals succeed: %v", context.Cause(runCtx))
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := k.Unlock(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestLeaseExpiryIgnoresTheHoldersClock: a holder whose clock is an hour
// behind ours keeps renewing; its renewTime looks expired by our clock,
// but the Lease keeps changing, so it is not taken. Once it stops, the
// Lease is taken after one TTL of our own observation.
func TestLeaseExpiryIgnoresTheHoldersClock(t *testing.T) {
	c := testcluster.Shared(t)
	cs, err := c.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	name := "skew-" + randomHex(3)
	leases := cs.CoordinationV1().Leases("default")
	ctx, stopHolder := context.WithCancel(context.Background())
	defer stopHolder()
	holder, secs := "behind-by-an-hour", int32(2)
	skewed := func() *metav1.MicroTime { t := metav1.NewMicroTime(time.Now().Add(-time.Hour)); return &t }
	lease := &coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name + "-lock"},
		Spec: coordv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, AcquireTime: skewed(), RenewTime: skewed()}}
	if _, err := leases.Create(ctx, lease, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	renewing := make(chan struct{})
	go func() { // the holder renews every half second, by its clock
		defer close(renewing)
		for ctx.Err() == nil {
			if l, err := leases.Get(ctx, name+"-lock", metav1.GetOptions{}); err == nil {
				l.Spec.RenewTime = skewed()
				leases.Update(ctx, l, metav1.UpdateOptions{})
			}
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	k := &Backend{Client: cs, Namespace: "default", Name: name, LockTTL: 2 * time.Second}
	_, err = k.Lock(context.Background(), backend.NewLockInfo("apply"), 0)
	var locked *backend.LockedError
	if !errors.As(err, &locked) || locked.Holder.ID != holder {
		k.Unlock(t.Context())
		t.Fatalf("Lock while the holder renews = %v, want a backend.LockedError naming %s", err, holder)
	}
	stopHolder()
	<-renewing
	if _, err := k.Lock(context.Background(), backend.NewLockInfo("apply"), 0); err != nil {
		t.Fatalf("Lock after the holder stopped renewing: %v", err)
	}
	k.Unlock(t.Context())
}

// TestLeaseLostWhileAPIServerDown stops the apiserver for longer than the
// TTL while a lock is held: the run's context is cancelled, and after the
// apiserver returns, another run takes the lock.
func TestLeaseLostWhileAPIServerDown(t *testing.T) {
	c, err := testcluster.StartPrivate(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	cs, err := c.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	k := &Backend{Client: cs, Namespace: "default", Name: "outage", LockTTL: 3 * time.Second}
	runCtx, err := k.Lock(context.Background(), backend.NewLockInfo("apply"), 0)
	if err != nil {
		t.Fatal(err)
	}
	c.StopAPIServer()
	lost := lostCause(t, runCtx)
	if err := c.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	t.Logf("lost: %v", lost)
	k.Unlock(t.Context())
	other := &Backend{Client: cs, Namespace: "default", Name: "outage", LockTTL: 3 * time.Second}
	if _, err := other.Lock(context.Background(), backend.NewLockInfo("apply"), time.Minute); err != nil {
		t.Fatalf("another run after the outage: %v", err)
	}
	other.Unlock(t.Context())
}

// TestLockWaitIsInterruptible: a run waiting for a Lease another run holds
// stops when its context ends, with the context's error, long before its
// lock timeout.
func TestLockWaitIsInterruptible(t *testing.T) {
	cs := fake.NewClientset()
	holder := &Backend{Client: cs, Namespace: "ns", Name: "st", LockTTL: time.Hour}
	if _, err := holder.Lock(t.Context(), backend.NewLockInfo("apply"), 0); err != nil {
		t.Fatal(err)
	}
	defer holder.Unlock(t.Context())
	// The fake sets no resourceVersion, which the waiter's own clock
	// follows the Lease by; give it one.
	lease, err := cs.CoordinationV1().Leases("ns").Get(t.Context(), "st-lock", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lease.ResourceVersion = "7"
	if err := cs.Tracker().Update(coordv1.SchemeGroupVersion.WithResource("leases"), lease, "ns"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	waiter := &Backend{Client: cs, Namespace: "ns", Name: "st"}
	if _, err := waiter.Lock(ctx, backend.NewLockInfo("plan"), time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock = %v, want context.Canceled", err)
	}
}
