package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
)

func TestWrite(t *testing.T) {
	tests := map[string]struct {
		mode     fs.FileMode
		existing fs.FileMode // 0: no existing file
	}{
		"new key file":                      {mode: 0o600},
		"new public file":                   {mode: 0o644},
		"tightens a world-readable old key": {mode: 0o600, existing: 0o644},
		"loosens an old private cert":       {mode: 0o644, existing: 0o600},
	}
	// A permissive umask must not widen the mode, a strict one must not narrow it.
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sub", "dir", "f.pem")
			if tc.existing != 0 {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte("old"), tc.existing); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.existing); err != nil {
					t.Fatal(err)
				}
			}
			if err := Write(path, []byte("new"), tc.mode); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != "new" {
				t.Fatalf("content = %q, %v; want %q", got, err, "new")
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != tc.mode {
				t.Errorf("mode = %o, want %o", st.Mode().Perm(), tc.mode)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries, want only the target (no temp files left)", len(entries))
			}
		})
	}
}

func TestWriteFailureLeavesOldContent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory in the way of the rename makes Write fail after the temp
	// file exists; the target and the directory must be as they were.
	target := filepath.Join(dir, "blocked")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(target, []byte("new"), 0o600); err == nil {
		t.Fatal("Write over a non-empty directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("directory holds %d entries, want 2 (temp file removed)", len(entries))
	}
}

// TestSyncDirsShared: callers syncing one directory at once share fsyncs,
// and each returns only after a sync that began after it was called. The
// first sync is held until every other caller waits for the directory
// (synctest.Wait), so they must all be served by one more sync.
func TestSyncDirsShared(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		var mu sync.Mutex
		begun := 0
		release := make(chan struct{})
		fsyncDirHook = func(d string) error {
			mu.Lock()
			begun++
			first := begun == 1
			mu.Unlock()
			if first {
				<-release
			}
			return fsyncDir(d)
		}
		defer func() { fsyncDirHook = fsyncDir }()
		syncs := func() int {
			mu.Lock()
			defer mu.Unlock()
			return begun
		}
		call := func(wg *sync.WaitGroup) {
			wg.Go(func() {
				before := syncs()
				if err := SyncDirs([]string{dir}); err != nil {
					t.Error(err)
				}
				if syncs() <= before {
					t.Error("returned without a sync that began after the call")
				}
			})
		}
		var wg sync.WaitGroup
		call(&wg) // its sync holds until released
		synctest.Wait()
		const callers = 50
		for range callers {
			call(&wg)
		}
		synctest.Wait() // every caller waits for the directory
		if n := syncs(); n != 1 {
			t.Errorf("%d syncs began while the first was held; want 1", n)
		}
		close(release)
		wg.Wait()
		if n := syncs(); n != 2 {
			t.Errorf("%d callers arriving during a sync cost %d more syncs; want 1 shared", callers, n-1)
		}
	})
	if err := SyncDirs([]string{filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("syncing a missing directory succeeded")
	}
}

// TestWriteAllFrom: a File with From is moved into place when it can be,
// and its Data is written when From is gone or on another filesystem; the
// result is the same content and mode either way.
func TestWriteAllFrom(t *testing.T) {
	tests := map[string]struct {
		setup     func(t *testing.T, from string)
		moved     bool // From no longer exists afterwards
		crossDevs bool // rename reports another filesystem
	}{
		"moved":                {moved: true},
		"from is gone":         {setup: func(t *testing.T, from string) { os.Remove(from) }, moved: true},
		"from on another disk": {crossDevs: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			from := filepath.Join(dir, "kept", "k.pem")
			if err := os.MkdirAll(filepath.Dir(from), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(from, []byte("key"), 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.setup != nil {
				tc.setup(t, from)
			}
			if tc.crossDevs {
				rename = func(src, dst string) error {
					if src == from {
						return &os.LinkError{Op: "rename", Old: src, New: dst, Err: syscall.EXDEV}
					}
					return os.Rename(src, dst)
				}
				defer func() { rename = os.Rename }()
			}
			key := filepath.Join(dir, "out", "tls.key")
			cert := filepath.Join(dir, "out", "tls.crt")
			if err := WriteAll(
				File{Path: key, Data: []byte("key"), Mode: 0o600, From: from},
				File{Path: cert, Data: []byte("cert"), Mode: 0o644},
			); err != nil {
				t.Fatal(err)
			}
			for path, want := range map[string]struct {
				data string
				mode fs.FileMode
			}{key: {"key", 0o600}, cert: {"cert", 0o644}} {
				got, err := os.ReadFile(path)
				if err != nil || string(got) != want.data {
					t.Errorf("%s = %q, %v; want %q", path, got, err, want.data)
				}
				if st, err := os.Stat(path); err != nil || st.Mode().Perm() != want.mode {
					t.Errorf("%s mode: %v, %v; want %o", path, st.Mode().Perm(), err, want.mode)
				}
			}
			if _, err := os.Stat(from); (err == nil) == tc.moved {
				t.Errorf("from exists afterwards: %v; want %v", err == nil, !tc.moved)
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, "out")); len(entries) != 2 {
				t.Errorf("out holds %d entries, want 2 (no temp files left)", len(entries))
			}
		})
	}
}

// TestIsTempOf checks that the names Write gives its temporary files are
// recognised for the file they were made for, and nothing else is.
func TestIsTempOf(t *testing.T) {
	dir := t.TempDir()
	tmp, err := writeTemp(File{Path: filepath.Join(dir, "a.key"), Data: []byte("k"), Mode: 0o600})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		name, base string
		want       bool
	}{
		"made by writeTemp":  {filepath.Base(tmp), "a.key", true},
		"for another file":   {filepath.Base(tmp), "a.crt", false},
		"digits only":        {".a.key.tmp-12345", "a.key", true},
		"not digits":         {".a.key.tmp-12345x", "a.key", false},
		"no number":          {".a.key.tmp-", "a.key", false},
		"the file itself":    {"a.key", "a.key", false},
		"a longer base":      {".b.a.key.tmp-1", "a.key", false},
		"prefix of a longer": {".a.key.tmp-1", "a.ke", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := IsTempOf(tc.name, tc.base); got != tc.want {
				t.Errorf("IsTempOf(%q, %q) = %v, want %v", tc.name, tc.base, got, tc.want)
			}
		})
	}
}

// TestSyncDirFailureIsNotHiddenByALaterSuccess: a caller whose directory
// sync failed is told so even when another sync succeeded before it woke
// (the waiter's wake-up is the scheduler's choice, so the sequence is
// driven on the bookkeeping itself).
func TestSyncDirFailureIsNotHiddenByALaterSuccess(t *testing.T) {
	g := &dirSync{}
	g.cond.L = &g.mu
	need := g.started + 1 // a caller arrives while nothing runs
	g.started = 3         // syncs 1, 2 and 3 run before it wakes
	g.finish(1, syscall.EIO)
	g.finish(2, nil)
	g.finish(3, nil)
	if err := g.result(need); err == nil {
		t.Error("sync 1, the one that served the caller, failed; the caller was told it succeeded")
	}
	if err := g.result(2); err != nil {
		t.Errorf("a caller served by syncs 2 and 3 only: %v, want nil", err)
	}
}
