package state

import (
	"context"
	"time"
)

// Backend stores one state and guards it with a lock. Local keeps it in a
// file with a flock; Kubernetes keeps it in Secrets with a Lease.
type Backend interface {
	// Lock takes the exclusive lock, waiting up to timeout for a holder;
	// it fails with a *LockedError naming the holder. The returned context,
	// derived from ctx, is the run's: it is cancelled when the lock is lost
	// (with a *LockLostError as its cause, see context.Cause), so
	// everything done under the lock must use it.
	Lock(ctx context.Context, info LockInfo, timeout time.Duration) (context.Context, error)
	Unlock() error
	// Load reads the state (a new one when there is none).
	Load() (*State, error)
	// Persist writes s if its content changed, raising the serial.
	Persist(s *State) error
	// Record makes changes to single certificates durable during an apply;
	// the final Persist folds them in.
	Record(lineage string, changes map[string]*Certificate) error
	// ForceUnlock releases a lock left by a run that cannot release it.
	ForceUnlock(ctx context.Context, id string) error
	// Describe names where the state lives, for messages.
	Describe() string
}

var (
	_ Backend = (*Local)(nil)
	_ Backend = (*Kubernetes)(nil)
)
