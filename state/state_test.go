package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func init() { Version = "test" }

func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/roundtrip/*.json")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Encode(s)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != string(data) {
				t.Errorf("re-encoding differs:\n%s\nwant:\n%s", out, data)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	want := map[string]string{
		"bad-mode.json":             `has mode "0999"`,
		"bad-role.json":             `unknown role "bundle"`,
		"empty-lineage.json":        "empty lineage",
		"newer-version.json":        "unsupported state version 3",
		"no-version.json":           "no version field",
		"outputs-in-version-1.json": `unknown field "outputs"`,
		"truncated.json":            "not valid JSON",
		"unknown-field.json":        `unknown field "private_key"`,
		"unknown-status.json":       `unknown status "weird"`,
	}
	files, _ := filepath.Glob("testdata/invalid/*.json")
	if len(files) != len(want) {
		t.Errorf("%d fixtures, %d expectations", len(files), len(want))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, _ := os.ReadFile(f)
			_, err := Decode(data)
			if err == nil || !strings.Contains(err.Error(), want[name]) {
				t.Errorf("err = %v, want one containing %q", err, want[name])
			}
		})
	}
}

func TestPersistSerialAndBackup(t *testing.T) {
	dir := t.TempDir()
	l := &Local{Path: filepath.Join(dir, DefaultPath)}
	s, err := l.Load()
	if err != nil {
		t.Fatal(err)
	}
	lineage := s.Lineage
	steps := []struct {
		name       string
		mutate     func(*State)
		wantSerial uint64
	}{
		{"first write", func(*State) {}, 1},
		{"no change", func(*State) {}, 1},
		{"add certificate", func(s *State) {
			s.Certificates["certificate.a"] = &Certificate{Addr: "certificate.a", Status: StatusPending, KeySHA256: "ab"}
		}, 2},
		{"no change again", func(*State) {}, 2},
		{"status change", func(s *State) { s.Certificates["certificate.a"].Status = StatusIssued }, 3},
	}
	for _, step := range steps {
		step.mutate(s)
		if err := l.Persist(s); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if s.Serial != step.wantSerial {
			t.Errorf("%s: serial = %d, want %d", step.name, s.Serial, step.wantSerial)
		}
	}
	l2 := &Local{Path: l.Path}
	back, err := l2.Load()
	if err != nil {
		t.Fatal(err)
	}
	if back.Lineage != lineage || back.Serial != 3 || back.Certificates["certificate.a"].Status != StatusIssued {
		t.Errorf("reloaded = %+v", back)
	}
	if _, err := os.Stat(l.Path + ".backup"); !os.IsNotExist(err) {
		t.Errorf("a run that started without state left a backup (err = %v)", err)
	}
	// A later run backs up the state as it found it, once.
	back.Certificates["certificate.a"].Status = StatusTainted
	if err := l2.Persist(back); err != nil {
		t.Fatal(err)
	}
	back.Certificates["certificate.a"].Status = StatusIssued
	if err := l2.Persist(back); err != nil {
		t.Fatal(err)
	}
	old, err := Decode(mustRead(t, l.Path+".backup"))
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
	l := &Local{Path: path}
	if _, err := l.Load(); err == nil {
		t.Fatal("Load of a corrupt file succeeded")
	}
	if got := string(mustRead(t, path)); got != "{garbage" {
		t.Errorf("corrupt file changed to %q", got)
	}
}

func TestLockNamesHolder(t *testing.T) {
	dir := t.TempDir()
	a := &Local{Path: filepath.Join(dir, DefaultPath)}
	b := &Local{Path: a.Path}
	ctx := context.Background()
	holder := NewLockInfo("apply")
	if _, err := a.Lock(ctx, holder, 0); err != nil {
		t.Fatal(err)
	}
	_, err := b.Lock(ctx, NewLockInfo("plan"), 200*time.Millisecond)
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second lock: err = %v, want a LockedError", err)
	}
	if locked.Holder.ID != holder.ID || locked.Holder.PID != os.Getpid() || locked.Holder.Operation != "apply" {
		t.Errorf("holder = %+v, want %+v", locked.Holder, holder)
	}
	if !strings.Contains(err.Error(), holder.ID) || !strings.Contains(err.Error(), "apply") {
		t.Errorf("message %q does not name the holder", err)
	}
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Lock(ctx, NewLockInfo("plan"), 0); err != nil {
		t.Errorf("lock after unlock: %v", err)
	}
	b.Unlock()
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestLockedErrorWithoutDetails: a Lease whose holder wrote no certform
// lock details names that holder, not "locked by  (pid 0 …)".
func TestLockedErrorWithoutDetails(t *testing.T) {
	msg := (&LockedError{Holder: LockInfo{ID: "kube-something"}}).Error()
	if strings.Contains(msg, "pid 0") || !strings.Contains(msg, `holder "kube-something"`) {
		t.Errorf("message %q", msg)
	}
}
