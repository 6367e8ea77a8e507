package backend

import (
	"encoding/json"
	"os"
	"os/user"
	"strconv"
	"strings"
	"testing"
	"unicode"
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

// TestLockedErrorShowsHolderSafely: the holder's strings come from a lock
// file or Lease anyone with access may write; the message shows them
// without control characters and cut to a bound, and ordinary ones as
// they are.
func TestLockedErrorShowsHolderSafely(t *testing.T) {
	cases := map[string]struct {
		who, want string
	}{
		"ordinary":        {who: "alice@build-7", want: "alice@build-7"},
		"escape sequence": {who: "mallory\x1b[2J\x1b[31m@host", want: "mallory\uFFFD[2J\uFFFD[31m@host"},
		"newline":         {who: "a\nb", want: "a\uFFFDb"},
		"invalid UTF-8":   {who: "a\xffb", want: "a\uFFFDb"},
		"too long":        {who: strings.Repeat("x", 500), want: strings.Repeat("x", shownMax) + "…"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			msg := (&LockedError{Holder: LockInfo{ID: "id", Who: tc.who, Operation: "apply"}}).Error()
			if !strings.Contains(msg, "locked by "+tc.want+" (pid") {
				t.Errorf("message %q, want the holder shown as %q", msg, tc.want)
			}
		})
	}
}

// FuzzLockedError: whatever a lock file holds, the message naming its
// holder has no control character and a bounded length (seeds in
// testdata/fuzz/FuzzLockedError).
func FuzzLockedError(f *testing.F) {
	f.Add([]byte(`{"id":"x","operation":"apply","who":"alice@host","pid":7,"created":"2026-12-07T17:00:00Z"}`))
	f.Add([]byte(`{"id":"\u001b[2J","who":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var info LockInfo
		if json.Unmarshal(data, &info) != nil {
			return
		}
		msg := (&LockedError{Holder: info}).Error()
		for _, r := range msg {
			if unicode.IsControl(r) {
				t.Fatalf("control character %U in %q", r, msg)
			}
		}
		if len(msg) > 3*shownMax+200 {
			t.Fatalf("message of %d bytes", len(msg))
		}
	})
}
