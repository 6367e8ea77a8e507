package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/state/backend"
)

// Lock takes an exclusive lock on the state, waiting up to timeout for a
// run that holds it. The kernel releases a flock when its holder dies, so a
// crashed run never leaves a stale lock behind; nor can the lock be lost
// while its holder lives, so the context returned is ctx.
func (l *Backend) Lock(ctx context.Context, info backend.LockInfo, timeout time.Duration) (context.Context, error) {
	f, err := os.OpenFile(l.Path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening state lock: %w", err)
	}
	deadline := time.Now().Add(timeout)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking state: %w", err)
		}
		if !time.Now().Before(deadline) {
			holder := readLockInfo(l.Path + ".lock")
			f.Close()
			return nil, &backend.LockedError{Path: l.Path, Holder: holder}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
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
	data, err := limits.ReadFile(path, limits.SmallFile)
	if err == nil {
		json.Unmarshal(data, &info)
	}
	return info
}
