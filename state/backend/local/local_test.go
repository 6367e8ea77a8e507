package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend"
	"github.com/certform/certform/state/statefile"
)

func TestPersistSerialAndBackup(t *testing.T) {
	dir := t.TempDir()
	l := &Backend{Path: filepath.Join(dir, DefaultPath)}
	s, err := l.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	lineage := s.Lineage
	steps := []struct {
		name       string
		mutate     func(*state.State)
		wantSerial uint64
	}{
		{"first write", func(*state.State) {}, 1},
		{"no change", func(*state.State) {}, 1},
		{"add certificate", func(s *state.State) {
			s.Certificates["certificate.a"] = &state.Certificate{Addr: "certificate.a", Status: state.StatusPending, KeySHA256: "ab"}
		}, 2},
		{"no change again", func(*state.State) {}, 2},
		{"status change", func(s *state.State) { s.Certificates["certificate.a"].Status = state.StatusIssued }, 3},
	}
	for _, step := range steps {
		step.mutate(s)
		if err := l.Persist(t.Context(), s); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if s.Serial != step.wantSerial {
			t.Errorf("%s: serial = %d, want %d", step.name, s.Serial, step.wantSerial)
		}
	}
	l2 := &Backend{Path: l.Path}
	back, err := l2.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if back.Lineage != lineage || back.Serial != 3 || back.Certificates["certificate.a"].Status != state.StatusIssued {
		t.Errorf("reloaded = %+v", back)
	}
	if _, err := os.Stat(l.Path + ".backup"); !os.IsNotExist(err) {
		t.Errorf("a run that started without state left a backup (err = %v)", err)
	}
	// A later run backs up the state as it found it, once.
	back.Certificates["certificate.a"].Status = state.StatusTainted
	if err := l2.Persist(t.Context(), back); err != nil {
		t.Fatal(err)
	}
	back.Certificates["certificate.a"].Status = state.StatusIssued
	if err := l2.Persist(t.Context(), back); err != nil {
		t.Fatal(err)
	}
	old, err := statefile.Decode(mustRead(t, l.Path+".backup"))
	if err != nil || old.Serial != 3 || back.Serial != 5 {
		t.Errorf("backup serial %v (err %v), state serial %d; want 3 (the state the run started from) and 5", old, err, back.Serial)
	}
	if st, _ := os.Stat(l.Path); st.Mode().Perm() != 0o600 {
		t.Errorf("state mode = %o, want 600", st.Mode().Perm())
	}
}

func TestCorruptStateIsNeverOverwritten(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultPath)
	os.WriteFile(path, []byte("{garbage"), 0o600)
	l := &Backend{Path: path}
	if _, err := l.Load(t.Context()); err == nil {
		t.Fatal("Load of a corrupt file succeeded")
	}
	if got := string(mustRead(t, path)); got != "{garbage" {
		t.Errorf("corrupt file changed to %q", got)
	}
}

func TestLockNamesHolder(t *testing.T) {
	dir := t.TempDir()
	a := &Backend{Path: filepath.Join(dir, DefaultPath)}
	b := &Backend{Path: a.Path}
	ctx := context.Background()
	holder := backend.NewLockInfo("apply")
	if _, err := a.Lock(ctx, holder, 0); err != nil {
		t.Fatal(err)
	}
	_, err := b.Lock(ctx, backend.NewLockInfo("plan"), 200*time.Millisecond)
	var locked *backend.LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second lock: err = %v, want a backend.LockedError", err)
	}
	if locked.Holder.ID != holder.ID || locked.Holder.PID != os.Getpid() || locked.Holder.Operation != "apply" {
		t.Errorf("holder = %+v, want %+v", locked.Holder, holder)
	}
	if !strings.Contains(err.Error(), holder.ID) || !strings.Contains(err.Error(), "apply") {
		t.Errorf("message %q does not name the holder", err)
	}
	if err := a.Unlock(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Lock(ctx, backend.NewLockInfo("plan"), 0); err != nil {
		t.Errorf("lock after unlock: %v", err)
	}
	b.Unlock(t.Context())
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestLockWaitIsInterruptible: a run waiting for a held lock stops when
// its context ends (Ctrl-C), with the context's error rather than a
// LockedError, long before its lock timeout.
func TestLockWaitIsInterruptible(t *testing.T) {
	dir := t.TempDir()
	a := &Backend{Path: filepath.Join(dir, DefaultPath)}
	if _, err := a.Lock(t.Context(), backend.NewLockInfo("apply"), 0); err != nil {
		t.Fatal(err)
	}
	defer a.Unlock(t.Context())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := (&Backend{Path: a.Path}).Lock(ctx, backend.NewLockInfo("plan"), time.Hour)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock = %v, want context.Canceled", err)
	}
}
