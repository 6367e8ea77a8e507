package apply

import (
	"errors"
	"strings"
	"testing"

	"github.com/certform/certform/state"
)

// TestGroupCommitFailureBelongsToItsRange: a change whose commit failed is
// reported as not durable to its waiter, even when a later commit
// succeeded before the waiter looked; the failed changes are retried with
// the next commit, and the run's commit errors name the failure.
func TestGroupCommitFailureBelongsToItsRange(t *testing.T) {
	var batches []map[string]*state.Certificate
	r := &runner{state: state.New(), opts: Options{Record: func(changes map[string]*state.Certificate) error {
		batches = append(batches, changes)
		if len(batches) == 1 {
			return errors.New("no space left on device")
		}
		return nil
	}}}
	r.committed.L = &r.mu
	rec := func(addr string) *state.Certificate {
		return &state.Certificate{Addr: addr, Status: state.StatusPending}
	}
	durableA := r.recordAsync("certificate.a", rec("certificate.a"))
	durableB := r.recordAsync("certificate.b", rec("certificate.b"))
	if err := durableA(); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("a's commit failed; its waiter got %v", err)
	}
	if err := r.recordAsync("certificate.c", rec("certificate.c"))(); err != nil {
		t.Fatalf("c's commit succeeded; its waiter got %v", err)
	}
	// b was in the failed commit: a later success must not make it look durable.
	if err := durableB(); err == nil {
		t.Error("b's commit failed, yet its waiter was told it is durable")
	}
	if len(batches) != 2 {
		t.Fatalf("%d commits, want 2", len(batches))
	}
	for _, addr := range []string{"certificate.a", "certificate.b", "certificate.c"} {
		if _, ok := batches[1][addr]; !ok {
			t.Errorf("the commit after the failure lacks %s: a failed commit's changes must be retried", addr)
		}
	}
	if err := r.commitErrors(); err == nil {
		t.Error("commitErrors = nil after a failed commit")
	}
}
