package kube

import (
	"context"
	"errors"
	"fmt"

	certv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/types"
)

// RefusedError is returned by Wait when the CSR was denied or failed.
type RefusedError struct {
	Name      string
	Condition certv1.CertificateSigningRequestCondition
}

func (e *RefusedError) Error() string {
	verb := "denied"
	if e.Condition.Type == certv1.CertificateFailed {
		verb = "failed"
	}
	return fmt.Sprintf("CSR %s %s: %s: %s", e.Name, verb, e.Condition.Reason, e.Condition.Message)
}

// ErrGone is wrapped by Wait when the CSR was deleted or replaced by another
// object of the same name before it was issued.
var ErrGone = errors.New("CSR is gone")

// Wait blocks until the CSR name with uid carries a certificate, and returns
// that object. It fails fast when the CSR is denied or failed, deleted, or
// replaced by an object with another UID, and when ctx ends. A list/watch
// error that only a person can fix (Forbidden, Unauthorized) ends the wait
// at once; any other is returned only with ctx's error, so that an
// apiserver restart is waited out.
func (w *Watcher) Wait(ctx context.Context, name string, uid types.UID) (*certv1.CertificateSigningRequest, error) {
	w.mu.Lock()
	registeredAt := w.lists
	w.mu.Unlock()
	for {
		w.mu.Lock()
		csr, found := w.objects[name]
		changed, lists, lastErr := w.changed, w.lists, w.err
		deleted, fatal := w.deleted[uid], w.fatal
		w.mu.Unlock()
		switch {
		case fatal != nil:
			return nil, fmt.Errorf("waiting for CSR %s: %w", name, fatal)
		case found && csr.UID != uid:
			return nil, fmt.Errorf("CSR %s was replaced by another object (UID %s, want %s): %w", name, csr.UID, uid, ErrGone)
		case found:
			if c, refused := Refusal(csr); refused {
				return nil, &RefusedError{Name: name, Condition: c}
			}
			if len(csr.Status.Certificate) > 0 {
				return csr, nil
			}
		case deleted || lists > registeredAt+1:
			// Absent from a list that began after we started waiting.
			return nil, fmt.Errorf("CSR %s was deleted before it was issued: %w", name, ErrGone)
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return nil, fmt.Errorf("waiting for CSR %s: %w (last error: %v)", name, ctx.Err(), lastErr)
			}
			return nil, fmt.Errorf("waiting for CSR %s: %w", name, ctx.Err())
		case <-changed:
		}
	}
}

// Get returns the latest copy of the CSR name, if the watcher has seen it.
func (w *Watcher) Get(name string) (*certv1.CertificateSigningRequest, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	csr, ok := w.objects[name]
	return csr, ok
}

// Synced blocks until the watcher has completed its first list, or ctx ends.
func (w *Watcher) Synced(ctx context.Context) error {
	for {
		w.mu.Lock()
		lists, changed, fatal := w.lists, w.changed, w.fatal
		w.mu.Unlock()
		if fatal != nil {
			return fatal
		}
		if lists > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// List returns the watcher's current copies of every CSR it follows.
func (w *Watcher) List() []*certv1.CertificateSigningRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*certv1.CertificateSigningRequest, 0, len(w.objects))
	for _, csr := range w.objects {
		out = append(out, csr)
	}
	return out
}

// Snapshot returns the watcher's current objects and a channel that is
// closed at the next change, so a caller can act on every change without
// missing one.
func (w *Watcher) Snapshot() ([]*certv1.CertificateSigningRequest, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*certv1.CertificateSigningRequest, 0, len(w.objects))
	for _, csr := range w.objects {
		out = append(out, csr)
	}
	return out, w.changed
}
