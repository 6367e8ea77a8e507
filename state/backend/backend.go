package backend

import (
	"context"
	"time"

	"github.com/certform/certform/state"
)

// Backend stores one state and guards it with a lock. The local backend
// keeps it in a file with a flock; the kubernetes backend keeps it in
// Secrets with a Lease. Every method that talks to the store takes a
// context, so that a hung file system or API server can be interrupted; a
// caller that must finish a write after an interrupt (the final Persist of
// an apply) passes context.WithoutCancel.
type Backend interface {
	// Lock takes the exclusive lock, waiting up to timeout for a holder;
	// it fails with a *LockedError naming the holder. The returned context,
	// derived from ctx, is the run's: it is cancelled when the lock is lost
	// (with a *LockLostError as its cause, see context.Cause), so
	// everything done under the lock must use it.
	Lock(ctx context.Context, info LockInfo, timeout time.Duration) (context.Context, error)
	// Unlock releases the lock taken by Lock, if any.
	Unlock(ctx context.Context) error
	// Load reads the state (a new one when there is none).
	Load(ctx context.Context) (*state.State, error)
	// Persist writes s if its content changed, raising the serial.
	Persist(ctx context.Context, s *state.State) error
	// Record makes changes to single certificates durable during an apply;
	// the final Persist folds them in.
	Record(ctx context.Context, lineage string, changes map[string]*state.Certificate) error
	// ForceUnlock releases a lock left by a run that cannot release it.
	ForceUnlock(ctx context.Context, id string) error
	// Describe names where the state lives, for messages.
	Describe() string
}
