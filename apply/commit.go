package apply

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/state"
)

// The group commit: see the runner's fields for how changes are numbered
// and batched.

// failedCommit is a commit that did not make its changes durable: the
// changes numbered from+1 to upto, and why.
type failedCommit struct {
	from, upto uint64
	err        error
}

// record stores c (or removes addr when c is nil) and returns once state
// holding the change, and the directories dirs, are persisted.
func (r *runner) record(addr string, c *state.Certificate, dirs ...string) error {
	return r.recordAsync(addr, c, dirs...)()
}

// recordAsync stores the change at once and returns a function that waits
// until it is durable, so a caller can overlap an API call with the write.
// dirs are directories whose new entries the change relies on: the commit
// syncs them before it records the change.
func (r *runner) recordAsync(addr string, c *state.Certificate, dirs ...string) (durable func() error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c == nil {
		delete(r.state.Certificates, addr)
	} else {
		r.state.Certificates[addr] = c
	}
	if r.opts.Record == nil {
		err := atomicfile.SyncDirs(dirs)
		return func() error { return err }
	}
	if c != nil {
		c = c.DeepCopy()
	}
	r.queue(map[string]*state.Certificate{addr: c}, dirs, true)
	r.changes++
	mine := r.changes
	return func() error { return r.waitDurable(mine) }
}

// queue adds changes and directories to the next commit; newer changes
// to an address win over older ones unless override is false.
func (r *runner) queue(changes map[string]*state.Certificate, dirs []string, override bool) {
	if r.unsaved == nil {
		r.unsaved = map[string]*state.Certificate{}
	}
	if r.unsynced == nil {
		r.unsynced = map[string]bool{}
	}
	for addr, c := range changes {
		if _, newer := r.unsaved[addr]; override || !newer {
			r.unsaved[addr] = c
		}
	}
	for _, d := range dirs {
		r.unsynced[d] = true
	}
}

// waitDurable returns once change number mine is recorded, or with the
// error of the commit that covered it. The first waiter to find no commit
// in flight records everything changed so far. A failed commit's changes
// go back into the next one (the journal keeps nothing of a failed
// append), but their waiters are told of the failure: a later commit
// succeeding says nothing about an earlier one.
func (r *runner) waitDurable(mine uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.durable < mine {
		if r.committing {
			r.committed.Wait()
			continue
		}
		r.committing = true
		from, upto, batch, dirs := r.durable, r.changes, r.unsaved, r.unsynced
		r.unsaved, r.unsynced = nil, nil
		r.mu.Unlock()
		err := atomicfile.SyncDirs(slices.Collect(maps.Keys(dirs)))
		if err == nil {
			err = r.opts.Record(batch)
		}
		r.mu.Lock()
		if err != nil {
			r.failed = append(r.failed, failedCommit{from: from, upto: upto, err: err})
			r.queue(batch, slices.Collect(maps.Keys(dirs)), false)
		}
		r.committing, r.durable = false, upto
		r.committed.Broadcast()
	}
	for _, f := range r.failed {
		if f.from < mine && mine <= f.upto {
			return fmt.Errorf("recording state: %w", f.err)
		}
	}
	return nil
}

// commitErrors joins the errors of every failed commit of the run: a
// change that no one waited for (an issued record) may have been in one.
func (r *runner) commitErrors() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, f := range r.failed {
		errs = append(errs, fmt.Errorf("recording state: %w", f.err))
	}
	return errors.Join(errs...)
}
