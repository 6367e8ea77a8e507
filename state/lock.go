package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/certform/certform/internal/limits"
)

// LockInfo says who holds a lock; it is written into the lock file so that a
// second run can name the holder.
type LockInfo struct {
	ID        string    `json:"id"`
	Operation string    `json:"operation"`
	Who       string    `json:"who"`
	PID       int       `json:"pid"`
	Created   time.Time `json:"created"`
}

// NewLockInfo describes a lock the current process is about to take for
// operation (e.g. "apply").
func NewLockInfo(operation string) LockInfo {
	host, _ := os.Hostname()
	return LockInfo{ID: uuid.NewString(), Operation: operation, Who: userName() + "@" + host, PID: os.Getpid(), Created: time.Now().UTC()}
}

// userName names the user running certform for a lock holder: $USER, else
// the uid's account name, else the uid (a container often has neither).
func userName() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	uid := strconv.Itoa(os.Getuid())
	if u, err := user.LookupId(uid); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + uid
}

// LockedError is returned when another run holds the lock.
type LockedError struct {
	Path   string
	Holder LockInfo
}

func (e *LockedError) Error() string {
	h := e.Holder
	if h.Who == "" { // a Lease someone else wrote, without certform's details
		return fmt.Sprintf("state is locked by holder %q, which left no certform lock details (not a certform run, or an older one)", h.ID)
	}
	return fmt.Sprintf("state is locked by %s (pid %d, %s since %s, lock ID %s)",
		h.Who, h.PID, h.Operation, h.Created.Format(time.RFC3339), h.ID)
}

// Lock takes an exclusive lock on the state, waiting up to timeout for a
// run that holds it. The kernel releases a flock when its holder dies, so a
// crashed run never leaves a stale lock behind; nor can the lock be lost
// while its holder lives, so the context returned is ctx.
func (l *Local) Lock(ctx context.Context, info LockInfo, timeout time.Duration) (context.Context, error) {
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
			return nil, &LockedError{Path: l.Path, Holder: holder}
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
func (l *Local) Unlock() error {
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

func readLockInfo(path string) LockInfo {
	var info LockInfo
	data, err := limits.ReadFile(path, limits.SmallFile)
	if err == nil {
		json.Unmarshal(data, &info)
	}
	return info
}
