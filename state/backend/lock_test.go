package backend

import (
	"os"
	"os/user"
	"strconv"
	"strings"
	"testing"
)

// TestLockInfoNamesUserWithoutUSER: in a container or a cron job $USER is
// often unset; the lock holder is then named by the uid's account (or the
// uid), never as "@host".
func TestLockInfoNamesUserWithoutUSER(t *testing.T) {
	uid := strconv.Itoa(os.Getuid())
	want := "uid " + uid
	if u, err := user.LookupId(uid); err == nil && u.Username != "" {
		want = u.Username
	}
	tests := map[string]struct {
		user string
		want string
	}{
		"USER set":   {user: "alice", want: "alice"},
		"USER unset": {user: "", want: want},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("USER", tc.user)
			who := NewLockInfo("apply").Who
			if !strings.HasPrefix(who, tc.want+"@") {
				t.Errorf("Who = %q, want %q@host", who, tc.want)
			}
		})
	}
}

// TestLockedErrorWithoutDetails: a Lease whose holder wrote no certform
// lock details names that holder, not "locked by  (pid 0 …)".
func TestLockedErrorWithoutDetails(t *testing.T) {
	msg := (&LockedError{Holder: LockInfo{ID: "kube-something"}}).Error()
	if strings.Contains(msg, "pid 0") || !strings.Contains(msg, `holder "kube-something"`) {
		t.Errorf("message %q", msg)
	}
}
