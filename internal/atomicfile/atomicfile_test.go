package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
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
// and each returns only after a sync that began after it was called.
func TestSyncDirsShared(t *testing.T) {
	dir := t.TempDir()
	var begun atomic.Int64
	fsyncDirHook = func(d string) error {
		begun.Add(1)
		time.Sleep(5 * time.Millisecond) // let the other callers pile up
		return fsyncDir(d)
	}
	defer func() { fsyncDirHook = fsyncDir }()
	const callers = 50
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			before := begun.Load()
			if err := SyncDirs([]string{dir}); err != nil {
				t.Error(err)
			}
			if begun.Load() <= before {
				t.Error("returned without a sync that began after the call")
			}
		}()
	}
	wg.Wait()
	if n := begun.Load(); n >= callers {
		t.Errorf("%d callers cost %d directory syncs; want them shared", callers, n)
	}
	if err := SyncDirs([]string{filepath.Join(dir, "missing")}); err == nil {
		t.Error("syncing a missing directory succeeded")
	}
}
