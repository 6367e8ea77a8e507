package apply

import (
	"fmt"
	"maps"
	"slices"

	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/state"
)

// The group commit: see the runner's fields for how changes are numbered
// and batched.

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
	if r.unsynced == nil {
		r.unsynced = map[string]bool{}
	}
	for _, d := range dirs {
		r.unsynced[d] = true
	}
	if r.unsaved == nil {
		r.unsaved = map[string]*state.Certificate{}
	}
	if c != nil {
		c = c.DeepCopy()
	}
	r.unsaved[addr] = c
	r.changes++
	mine := r.changes
	return func() error { return r.waitDurable(mine) }
}

// waitDurable returns once change number mine is recorded. The first
// waiter to find no commit in flight records everything changed so far.
func (r *runner) waitDurable(mine uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.durable < mine {
		if r.committing {
			r.committed.Wait()
			continue
		}
		r.committing = true
		upto, batch, dirs := r.changes, r.unsaved, r.unsynced
		r.unsaved, r.unsynced = nil, nil
		r.mu.Unlock()
		err := atomicfile.SyncDirs(slices.Collect(maps.Keys(dirs)))
		if err == nil {
			err = r.opts.Record(batch)
		}
		r.mu.Lock()
		r.committing, r.durable, r.commitErr = false, upto, err
		r.committed.Broadcast()
	}
	if r.commitErr != nil {
		return fmt.Errorf("recording state: %w", r.commitErr)
	}
	return nil
}
