package kube

import (
	"context"
	"fmt"
	"sync"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
)

// Watcher follows every CSR matching a label selector with one list and one
// watch, and lets many goroutines wait for their own CSR. The listing,
// watching, resuming from the last resourceVersion, re-listing when a
// watch expires and backing off while the apiserver is away are
// client-go's Reflector; the Watcher is its store, and sees every list and
// watch error on the way (so a permission that is missing ends the waits
// instead of being retried for ever).
type Watcher struct {
	client   CSRs
	selector string
	// Grace is how long a Forbidden or Unauthorized error must persist
	// before it ends every wait: a restarted apiserver refuses requests
	// until its authorizer has synced (default 20s).
	Grace time.Duration

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	objects map[string]*certv1.CertificateSigningRequest
	deleted map[types.UID]bool
	lists   int // completed lists; a name absent after a list is gone
	err     error
	fatal   error // a list or watch error that retrying cannot fix: Run has stopped
	refused refusal
	stop    context.CancelFunc
}

// refusal is when a run of Forbidden or Unauthorized errors began, and
// whether a list (which a successful list ends) or a watch (which an event
// ends) was refused.
type refusal struct {
	since    time.Time
	fromList bool
}

// NewWatcher returns a Watcher for the CSRs matching selector; call Run.
func NewWatcher(client CSRs, selector string) *Watcher {
	return &Watcher{client: client, selector: selector, changed: make(chan struct{}),
		objects: map[string]*certv1.CertificateSigningRequest{}, deleted: map[types.UID]bool{}}
}

// backoff paces list and watch attempts after a failure: quick at first,
// so an apiserver restart costs little, then every few seconds.
var backoff = wait.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 1 << 30, Cap: 5 * time.Second}

// Run lists and watches until ctx ends, or a permission error outlasts
// Grace.
func (w *Watcher) Run(ctx context.Context) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	w.mu.Lock()
	w.stop = stop
	w.mu.Unlock()
	r := cache.NewReflectorWithOptions(w.listWatch(), &certv1.CertificateSigningRequest{}, (*store)(w),
		cache.ReflectorOptions{Name: "certform CSR watcher", TypeDescription: "CSRs", Backoff: &backoff})
	// As Reflector.RunWithContext, but errors go to the waiters instead of
	// client-go's log: listWatch has recorded each one already.
	backoff.DelayWithReset(clock.RealClock{}, time.Minute).Until(ctx, true, true, func(ctx context.Context) (bool, error) {
		r.ListAndWatchWithContext(ctx)
		return false, nil
	})
}

// listWatch lists and watches the selected CSRs, recording every error.
// Lists are consistent reads (no resourceVersion), as a waiter takes a
// name missing from a list that began after it registered as deleted.
func (w *Watcher) listWatch() cache.ListerWatcher {
	return plainListWatch{&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector, o.ResourceVersion, o.ResourceVersionMatch = w.selector, "", ""
			list, err := w.client.List(ctx, o)
			if err != nil {
				err = fmt.Errorf("listing CSRs: %w", explain(err, ruleRead))
				w.failed(err, true)
				return nil, err
			}
			return list, nil
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = w.selector
			wi, err := w.client.Watch(ctx, o)
			if err != nil {
				err = fmt.Errorf("watching CSRs: %w", explain(err, ruleRead))
				w.failed(err, false)
				return nil, err
			}
			return watch.Filter(wi, func(ev watch.Event) (watch.Event, bool) {
				if ev.Type != watch.Error {
					w.watched()
					return ev, true
				}
				if err := apierrors.FromObject(ev.Object); !apierrors.IsResourceExpired(err) && !apierrors.IsGone(err) {
					w.failed(fmt.Errorf("watching CSRs: %w", explain(err, ruleRead)), false)
				}
				return ev, true
			}), nil
		},
	}}
}

// plainListWatch opts out of the streaming watch-list: each (re)list is a
// plain consistent List, which the store counts in Replace, on every
// apiserver version certform supports.
type plainListWatch struct{ *cache.ListWatch }

// IsWatchListSemanticsUnSupported tells the Reflector to list and watch.
func (plainListWatch) IsWatchListSemanticsUnSupported() bool { return true }

// failed records a list or watch error for the waiters; one that needs a
// person to act ends every wait once it has persisted for Grace.
func (w *Watcher) failed(err error, fromList bool) {
	grace := w.Grace
	if grace == 0 {
		grace = 20 * time.Second
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.err = err
	if permanent(err) {
		if w.refused.since.IsZero() {
			w.refused = refusal{since: time.Now(), fromList: fromList}
		}
		if time.Since(w.refused.since) >= grace {
			w.fatal = err
			if w.stop != nil {
				w.stop()
			}
		}
	}
	w.notifyLocked()
}

// watched notes a watch event: a refused watch is answered again.
func (w *Watcher) watched() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.refused.fromList {
		w.refused = refusal{}
	}
}

// store is the Watcher as the Reflector's store.
type store Watcher

func (s *store) Add(obj any) error    { return s.put(obj) }
func (s *store) Update(obj any) error { return s.put(obj) }
func (s *store) Resync() error        { return nil }

func (s *store) put(obj any) error {
	csr, ok := obj.(*certv1.CertificateSigningRequest)
	if !ok {
		return fmt.Errorf("unexpected object %T", obj)
	}
	// Nothing here reads who managed which field, and at thousands of
	// CSRs those entries were a fifth of what a run kept in memory.
	csr.ManagedFields = nil
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[csr.Name] = csr
	(*Watcher)(s).notifyLocked()
	return nil
}

func (s *store) Delete(obj any) error {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	csr, ok := obj.(*certv1.CertificateSigningRequest)
	if !ok {
		return fmt.Errorf("unexpected object %T", obj)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.objects, csr.Name)
	s.deleted[csr.UID] = true
	(*Watcher)(s).notifyLocked()
	return nil
}

// Replace takes a completed list.
func (s *store) Replace(list []any, _ string) error {
	objects := make(map[string]*certv1.CertificateSigningRequest, len(list))
	for _, obj := range list {
		if csr, ok := obj.(*certv1.CertificateSigningRequest); ok {
			csr.ManagedFields = nil
			objects[csr.Name] = csr
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects = objects
	s.lists++
	s.err = nil
	if s.refused.fromList {
		s.refused = refusal{}
	}
	(*Watcher)(s).notifyLocked()
	return nil
}

func (w *Watcher) notifyLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// permanent reports whether a list or watch error needs a person to act
// (grant a permission, fix credentials): waiting it out would hang.
func permanent(err error) bool {
	return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err)
}
