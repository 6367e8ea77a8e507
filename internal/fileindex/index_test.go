package fileindex

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certform/certform/internal/digest"
)

// countHashes counts the files hashed (opened and read) while the test
// runs; each call of f may change the file after its fstat.
func countHashes(t *testing.T, after func(path string)) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	hashFile = func(path string, st *syscall.Stat_t) (digest.File, error) {
		n.Add(1)
		f, err := digest.OfFileStat(path, st)
		if after != nil {
			after(path)
		}
		return f, err
	}
	t.Cleanup(func() { hashFile = digest.OfFileStat })
	return &n
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLookupPerField: an entry answers only when every field of its
// fingerprint matches what stat says; one field off hashes the file again.
// The entry's hash is replaced by a marker, so that an answer from the
// entry can be told from a hash of the file.
func TestLookupPerField(t *testing.T) {
	const marker = "0000000000000000000000000000000000000000000000000000000000000000"
	cases := map[string]struct {
		change func(*Fingerprint)
		hit    bool
	}{
		"all match": {change: func(*Fingerprint) {}, hit: true},
		"device":    {change: func(f *Fingerprint) { f.Dev++ }},
		"inode":     {change: func(f *Fingerprint) { f.Ino++ }},
		"size":      {change: func(f *Fingerprint) { f.Size++ }},
		"mtime":     {change: func(f *Fingerprint) { f.Mtime++ }},
		"ctime":     {change: func(f *Fingerprint) { f.Ctime-- }},
		"mode":      {change: func(f *Fingerprint) { f.Mode ^= 0o004 }},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tls.crt")
			writeFile(t, path, "certificate")
			hashes := countHashes(t, nil)
			x := New()
			want, err := x.File(path)
			if err != nil || !want.Exists || hashes.Load() != 1 {
				t.Fatalf("first lookup: %+v, %v, %d hashes", want, err, hashes.Load())
			}
			e := x.entries[path]
			e.sha = marker
			tc.change(&e.fp)
			got, err := x.File(path)
			if err != nil {
				t.Fatal(err)
			}
			if tc.hit {
				want.SHA256 = marker
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("second lookup (-want +got):\n%s", d)
			}
			if wantHashes := map[bool]int64{true: 1, false: 2}[tc.hit]; hashes.Load() != wantHashes {
				t.Errorf("%d hashes, want %d", hashes.Load(), wantHashes)
			}
		})
	}
}

// TestLookupSeesChanges changes real files behind an index: each change
// is seen, including content rewritten to the same size with its mtime
// put back (its ctime moved), and a file's removal drops its entry.
func TestLookupSeesChanges(t *testing.T) {
	cases := map[string]struct {
		change func(t *testing.T, path string)
		want   digest.File
	}{
		"same size, mtime restored": {change: func(t *testing.T, path string) {
			st, _ := os.Stat(path)
			writeFile(t, path, "CERTIFICATE")
			if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
				t.Fatal(err)
			}
		}, want: digest.File{Exists: true, SHA256: digest.SHA256([]byte("CERTIFICATE")), Mode: 0o644}},
		"replaced by rename": {change: func(t *testing.T, path string) {
			writeFile(t, path+".new", "CERTIFICATE")
			if err := os.Rename(path+".new", path); err != nil {
				t.Fatal(err)
			}
		}, want: digest.File{Exists: true, SHA256: digest.SHA256([]byte("CERTIFICATE")), Mode: 0o644}},
		"mode": {change: func(t *testing.T, path string) {
			if err := os.Chmod(path, 0o600); err != nil {
				t.Fatal(err)
			}
		}, want: digest.File{Exists: true, SHA256: digest.SHA256([]byte("certificate")), Mode: 0o600}},
		"removed": {change: func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, want: digest.File{}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tls.crt")
			writeFile(t, path, "certificate")
			os.Chmod(path, 0o644)
			x := New()
			if _, err := x.File(path); err != nil {
				t.Fatal(err)
			}
			tc.change(t, path)
			hashes := countHashes(t, nil)
			got, err := x.File(path)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("lookup after the change (-want +got):\n%s", d)
			}
			if hashes.Load() != 1 {
				t.Errorf("%d hashes, want 1", hashes.Load())
			}
			if _, held := x.entries[path]; held != tc.want.Exists {
				t.Errorf("entry held: %v, want %v", held, tc.want.Exists)
			}
		})
	}
}

// TestUnindexablePaths: relative, unclean and control-character paths are
// hashed every time and never recorded.
func TestUnindexablePaths(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a\nb"), "x")
	writeFile(t, filepath.Join(dir, "c"), "x")
	t.Chdir(dir)
	for name, path := range map[string]string{
		"relative":          "c",
		"unclean":           dir + "/./c",
		"control character": filepath.Join(dir, "a\nb"),
	} {
		t.Run(name, func(t *testing.T) {
			hashes := countHashes(t, nil)
			x := New()
			for range 2 {
				if f, err := x.File(path); err != nil || !f.Exists {
					t.Fatalf("%+v, %v", f, err)
				}
			}
			if hashes.Load() != 0 || x.Len() != 0 {
				t.Errorf("%d hashes through the index, %d entries; want none", hashes.Load(), x.Len())
			}
		})
	}
}

// TestNilIndex hashes every file and saves nothing.
func TestNilIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	writeFile(t, path, "x")
	var x *Index
	if f, err := x.File(path); err != nil || f.SHA256 != digest.SHA256([]byte("x")) {
		t.Fatalf("%+v, %v", f, err)
	}
	if err := x.Save(path+".index", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".index"); !os.IsNotExist(err) {
		t.Errorf("a nil index saved a file: %v", err)
	}
	if x.Stats() != (Stats{}) || x.Len() != 0 {
		t.Errorf("a nil index counts %+v, %d entries", x.Stats(), x.Len())
	}
}

// TestConcurrentUse looks files up from several goroutines while saving:
// run it with -race.
func TestConcurrentUse(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 50 {
		p := filepath.Join(dir, string(rune('a'+i%26))+string(rune('a'+i/26)))
		writeFile(t, p, p)
		paths = append(paths, p)
	}
	x := New()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, p := range paths {
				if f, err := x.File(p); err != nil || f.SHA256 != digest.SHA256([]byte(p)) {
					t.Errorf("%s: %+v, %v", p, f, err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := x.Save(filepath.Join(dir, "index"), time.Now().Add(time.Hour)); err != nil {
			t.Error(err)
		}
	}()
	wg.Wait()
	if s := x.Stats(); s.Unchanged+s.Hashed != 200 || x.Len() != 50 {
		t.Errorf("stats %+v, %d entries; want 200 lookups of 50 files", s, x.Len())
	}
}
