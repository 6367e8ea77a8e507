package local

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend"
)

// TestRelativePathInDir: a relative Path is in Dir, the configuration
// directory, not the working directory: the state, its lock, journal and
// backup are all written there, and messages name the path as configured.
func TestRelativePathInDir(t *testing.T) {
	dir, cwd := t.TempDir(), t.TempDir()
	t.Chdir(cwd)
	l := &Backend{Path: "states/certform.state.json", Dir: workdir.Dir(dir)}
	must(t, os.MkdirAll(filepath.Join(dir, "states"), 0o755))
	if _, err := l.Lock(t.Context(), backend.NewLockInfo("test"), 0); err != nil {
		t.Fatal(err)
	}
	s, err := l.Load(t.Context())
	must(t, err)
	must(t, l.Persist(t.Context(), s))
	a := &state.Certificate{Addr: "certificate.a", Status: state.StatusPending, KeySHA256: "aa"}
	must(t, l.Record(t.Context(), s.Lineage, map[string]*state.Certificate{"certificate.a": a}))
	if _, err := os.Stat(filepath.Join(dir, "states", "certform.state.json.journal")); err != nil {
		t.Errorf("the journal is not in the configuration directory: %v", err)
	}
	s.Certificates["certificate.a"] = a
	l2 := &Backend{Path: l.Path, Dir: l.Dir} // a second run backs up what it found
	s2, err := l2.Load(t.Context())
	must(t, err)
	s2.Certificates["certificate.a"].Status = state.StatusIssued
	must(t, l2.Persist(t.Context(), s2))

	entries, err := os.ReadDir(filepath.Join(dir, "states"))
	must(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	for _, want := range []string{"certform.state.json", "certform.state.json.backup", "certform.state.json.lock"} {
		if !slices.Contains(names, want) {
			t.Errorf("%s not written in the configuration directory, which holds %q", want, names)
		}
	}
	if left, _ := os.ReadDir(cwd); len(left) > 0 {
		t.Errorf("written in the working directory: %v", left)
	}
	if got := l.Describe(); got != "states/certform.state.json" {
		t.Errorf("Describe() = %q, want the path as configured", got)
	}
	_, err = (&Backend{Path: l.Path, Dir: l.Dir}).Lock(t.Context(), backend.NewLockInfo("other"), 0)
	var locked *backend.LockedError
	if !errors.As(err, &locked) || locked.Path != "states/certform.state.json" {
		t.Errorf("second lock: %v; want it refused (the same lock file), naming the path as configured", err)
	}
}
