package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/state/backend"
)

// Lock takes an exclusive lock on the state, waiting up to timeout for a
// run that holds it. The kernel releases a flock when its holder dies, so a
// crashed run never leaves a stale lock behind; nor can the lock be lost
// while its holder lives, so the context returned is ctx.
func (l *Backend) Lock(ctx context.Context, info backend.LockInfo, timeout time.Duration) (context.Context, error) {
	f, err := os.OpenFile(l.File(".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening state lock: %w", err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		return err == nil, err
	})
	switch {
	case err == nil:
	case ctx.Err() != nil:
		f.Close()
		return nil, ctx.Err()
	case wait.Interrupted(err):
		holder := readLockInfo(l.File(".lock"))
		f.Close()
		return nil, &backend.LockedError{Path: l.Path, Holder: holder}
	default:
		f.Close()
		return nil, fmt.Errorf("locking state: %w", err)
	}
	data, _ := json.Marshal(info)
	if err := f.Truncate(0); err == nil {
		f.WriteAt(data, 0)
	}
	l.lock = f
	return ctx, nil
}

// Unlock releases the lock taken by Lock.
func (l *Backend) Unlock(ctx context.Context) error {
	if l.journal != nil {
		l.journal.Close()
		l.journal = nil
	}
	if l.lock == nil {
		return nil
	}
	l.lock.Truncate(0)
	err := l.lock.Close() // closing the descriptor releases the flock
	l.lock = nil
	return err
}

func readLockInfo(path string) backend.LockInfo {
	var info backend.LockInfo
	data, err := limits.ReadOwnFile(path, limits.SmallFile)
	if err == nil {
		json.Unmarshal(data, &info)
	}
	return info
}
