package backend

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
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
		return fmt.Sprintf("state is locked by holder %q, which left no certform lock details (not a certform run, or an older one)", shown(h.ID))
	}
	return fmt.Sprintf("state is locked by %s (pid %d, %s since %s, lock ID %s)",
		shown(h.Who), h.PID, shown(h.Operation), h.Created.Format(time.RFC3339), shown(h.ID))
}

// shownMax is how many bytes of a lock holder's string a message shows.
const shownMax = 200

// shown is s, as the lock file or Lease of whoever holds the lock wrote
// it, fit for a terminal: control and other unprintable characters as
// U+FFFD, and at most shownMax bytes, so that a lock written by someone
// else cannot move the cursor, recolour or flood the output.
func shown(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			r = utf8.RuneError
		}
		if b.Len()+utf8.RuneLen(r) > shownMax {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ErrNotLocked is returned by ForceUnlock when there is no lock.
var ErrNotLocked = errors.New("the state is not locked")

// LockLostError is the cause of the cancellation of a run's context when
// its lock was lost: renewals failed for too long, or another run holds
// it.
type LockLostError struct {
	Lease string
	Err   error
}

func (e *LockLostError) Error() string {
	return fmt.Sprintf("lost the state lock (Lease %s): %v; stopped before submitting or approving anything more", e.Lease, e.Err)
}

func (e *LockLostError) Unwrap() error { return e.Err }
