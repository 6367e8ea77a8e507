package kube

import (
	"context"
	"fmt"
	"sync"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

// Watcher follows every CSR matching a label selector with one list and one
// watch, and lets many goroutines wait for their own CSR. It re-lists and
// re-watches when a watch ends or expires, so it survives apiserver
// restarts.
type Watcher struct {
	client   CSRs
	selector string

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	objects map[string]*certv1.CertificateSigningRequest
	deleted map[types.UID]bool
	lists   int // completed lists; a name absent after a list is gone
	err     error
	fatal   error // a list or watch error that retrying cannot fix: Run has stopped
	// Grace is how long a Forbidden or Unauthorized error must persist
	// before it ends every wait: a restarted apiserver refuses requests
	// until its authorizer has synced (default 20s).
	Grace time.Duration
}

// NewWatcher returns a Watcher for the CSRs matching selector; call Run.
func NewWatcher(client CSRs, selector string) *Watcher {
	return &Watcher{client: client, selector: selector, changed: make(chan struct{}),
		objects: map[string]*certv1.CertificateSigningRequest{}, deleted: map[types.UID]bool{}}
}

// Run lists and watches until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	grace := w.Grace
	if grace == 0 {
		grace = 20 * time.Second
	}
	var refusedSince time.Time
	for ctx.Err() == nil {
		rv, err := w.list(ctx)
		if err == nil {
			backoff = 100 * time.Millisecond
			err = w.watch(ctx, rv)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil && permanent(err) {
			if refusedSince.IsZero() {
				refusedSince = time.Now()
			}
			if time.Since(refusedSince) >= grace {
				w.setFatal(err)
				return
			}
		} else if err == nil {
			refusedSince = time.Time{}
		}
		if err != nil {
			w.setErr(err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}
}

func (w *Watcher) list(ctx context.Context) (string, error) {
	list, err := w.client.List(ctx, metav1.ListOptions{LabelSelector: w.selector})
	if err != nil {
		return "", fmt.Errorf("listing CSRs: %w", explain(err, ruleRead))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.objects = make(map[string]*certv1.CertificateSigningRequest, len(list.Items))
	for i := range list.Items {
		w.objects[list.Items[i].Name] = &list.Items[i]
	}
	w.lists++
	w.err = nil
	w.notifyLocked()
	return list.ResourceVersion, nil
}

// watch follows events from rv until the watch ends; nil means re-list.
func (w *Watcher) watch(ctx context.Context, rv string) error {
	for {
		wi, err := w.client.Watch(ctx, metav1.ListOptions{LabelSelector: w.selector, ResourceVersion: rv, AllowWatchBookmarks: true})
		if err != nil {
			return fmt.Errorf("watching CSRs: %w", explain(err, ruleRead))
		}
		next, err := w.consume(ctx, wi)
		wi.Stop()
		if err != nil || next == "" {
			return err
		}
		rv = next
	}
}

// consume applies events until the channel closes. It returns the last
// resourceVersion seen to resume from, or "" to re-list.
func (w *Watcher) consume(ctx context.Context, wi watch.Interface) (string, error) {
	var rv string
	for {
		select {
		case <-ctx.Done():
			return "", nil
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return rv, nil
			}
			if ev.Type == watch.Error {
				if apierrors.IsResourceExpired(apierrors.FromObject(ev.Object)) || apierrors.IsGone(apierrors.FromObject(ev.Object)) {
					return "", nil
				}
				return "", fmt.Errorf("watching CSRs: %w", explain(apierrors.FromObject(ev.Object), ruleRead))
			}
			csr, ok := ev.Object.(*certv1.CertificateSigningRequest)
			if !ok {
				continue
			}
			rv = csr.ResourceVersion
			w.apply(ev.Type, csr)
		}
	}
}

func (w *Watcher) apply(t watch.EventType, csr *certv1.CertificateSigningRequest) {
	if t == watch.Bookmark {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if t == watch.Deleted {
		delete(w.objects, csr.Name)
		w.deleted[csr.UID] = true
	} else {
		// Nothing here reads who managed which field, and at thousands of
		// CSRs those entries were a fifth of what a run kept in memory.
		csr.ManagedFields = nil
		w.objects[csr.Name] = csr
	}
	w.notifyLocked()
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

// setFatal ends every wait with err.
func (w *Watcher) setFatal(err error) {
	w.mu.Lock()
	w.err, w.fatal = err, err
	w.notifyLocked()
	w.mu.Unlock()
}

func (w *Watcher) setErr(err error) {
	w.mu.Lock()
	w.err = err
	w.notifyLocked()
	w.mu.Unlock()
}
