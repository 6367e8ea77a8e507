package kube

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// fakeCluster is a fake clientset holding one CSR, whose watches report
// when they are established (the fake does not replay events from a
// resourceVersion, so a test changes objects only once a watch is open).
type fakeCluster struct {
	cs       *fake.Clientset
	watching chan struct{}
}

func newFakeCluster(t *testing.T) *fakeCluster {
	t.Helper()
	f := &fakeCluster{cs: fake.NewClientset(&certv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: "csr-1", UID: "uid-1"}}),
		watching: make(chan struct{}, 16)}
	f.cs.PrependWatchReactor("certificatesigningrequests", func(a k8stesting.Action) (bool, watch.Interface, error) {
		w, err := f.cs.Tracker().Watch(a.GetResource(), "")
		f.watching <- struct{}{}
		return true, w, err
	})
	return f
}

func (f *fakeCluster) csrs() CSRs { return f.cs.CertificatesV1().CertificateSigningRequests() }

// issue gives csr-1 a certificate.
func (f *fakeCluster) issue(t *testing.T) {
	t.Helper()
	csr, err := f.csrs().Get(context.Background(), "csr-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	csr.Status.Certificate = []byte("issued")
	if _, err := f.csrs().UpdateStatus(context.Background(), csr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// start runs a watcher until the test ends and returns Wait's outcome for
// csr-1 on a channel.
func start(t *testing.T, w *Watcher) (context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go w.Run(ctx)
	done := make(chan error, 1)
	go func() {
		csr, err := w.Wait(ctx, "csr-1", "uid-1")
		if err == nil && string(csr.Status.Certificate) != "issued" {
			err = errors.New("Wait returned a CSR without the certificate")
		}
		done <- err
	}()
	return cancel, done
}

// TestWatcherOnFakeClientset: the watcher built on client-go's Reflector
// follows changes, recovers from list and watch errors a restarting
// apiserver gives, and tells a waiter when its CSR is gone.
func TestWatcherOnFakeClientset(t *testing.T) {
	unavailable := apierrors.NewServiceUnavailable("etcd is down")
	cases := map[string]struct {
		setup   func(f *fakeCluster)
		change  func(f *fakeCluster, t *testing.T)
		wantErr error // nil: the certificate arrives
	}{
		"issued while watched": {change: (*fakeCluster).issue},
		"first lists fail, then one succeeds": {
			setup: func(f *fakeCluster) {
				var n atomic.Int32
				f.cs.PrependReactor("list", "certificatesigningrequests", func(k8stesting.Action) (bool, runtime.Object, error) {
					return n.Add(1) <= 2, nil, unavailable
				})
			},
			change: (*fakeCluster).issue,
		},
		"a watch ends with an error event, the next one follows": {
			setup: func(f *fakeCluster) {
				var n atomic.Int32
				f.cs.PrependWatchReactor("certificatesigningrequests", func(k8stesting.Action) (bool, watch.Interface, error) {
					if n.Add(1) > 1 {
						return false, nil, nil
					}
					fw := watch.NewFakeWithChanSize(1, false)
					fw.Error(&apierrors.NewInternalError(errors.New("watch cache broke")).ErrStatus)
					return true, fw, nil
				})
			},
			change: (*fakeCluster).issue,
		},
		"deleted": {
			change: func(f *fakeCluster, t *testing.T) {
				if err := f.csrs().Delete(context.Background(), "csr-1", metav1.DeleteOptions{}); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: ErrGone,
		},
		"denied": {
			change: func(f *fakeCluster, t *testing.T) {
				csr, _ := f.csrs().Get(context.Background(), "csr-1", metav1.GetOptions{})
				csr.Status.Conditions = []certv1.CertificateSigningRequestCondition{{Type: certv1.CertificateDenied, Status: "True", Reason: "NoWay"}}
				if _, err := f.csrs().UpdateApproval(context.Background(), "csr-1", csr, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: &RefusedError{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeCluster(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			w := NewWatcher(f.csrs(), "")
			_, done := start(t, w)
			<-f.watching // the successful watch is open: changes reach it
			tc.change(f, t)
			err := <-done
			switch want := tc.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatalf("Wait = %v, want the issued CSR", err)
				}
			case *RefusedError:
				if !errors.As(err, &want) {
					t.Fatalf("Wait = %v, want a RefusedError", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("Wait = %v, want %v", err, want)
				}
			}
		})
	}
}

// TestWatcherReportsTheLastListError: while the apiserver keeps failing,
// a wait that ends says why it saw nothing.
func TestWatcherReportsTheLastListError(t *testing.T) {
	f := newFakeCluster(t)
	var lists atomic.Int32
	second := make(chan struct{})
	f.cs.PrependReactor("list", "certificatesigningrequests", func(k8stesting.Action) (bool, runtime.Object, error) {
		if lists.Add(1) == 2 {
			close(second) // the first failure is recorded by now
		}
		return true, nil, apierrors.NewServiceUnavailable("etcd is down")
	})
	w := NewWatcher(f.csrs(), "")
	cancel, done := start(t, w)
	<-second
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "last error: listing CSRs") || !strings.Contains(err.Error(), "etcd is down") {
		t.Fatalf("Wait = %v, want the cancellation with the last list error", err)
	}
}

// TestWatcherForbiddenWithinGrace: a Forbidden list that stops before the
// grace period (a restarted apiserver's authorizer syncing) does not end
// the wait.
func TestWatcherForbiddenWithinGrace(t *testing.T) {
	f := newFakeCluster(t)
	var lists atomic.Int32
	f.cs.PrependReactor("list", "certificatesigningrequests", func(k8stesting.Action) (bool, runtime.Object, error) {
		return lists.Add(1) == 1, nil, apierrors.NewForbidden(csrResource, "", errors.New("authorizer not ready"))
	})
	w := NewWatcher(f.csrs(), "")
	w.Grace = time.Hour
	_, done := start(t, w)
	<-f.watching
	f.issue(t)
	if err := <-done; err != nil {
		t.Fatalf("Wait = %v, want the issued CSR", err)
	}
}
