package fileindex

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/internal/limits"
)

const someSHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// TestRacyEntriesNotSaved: Save leaves out the entries whose mtime or
// ctime is later than its time minus Margin.
func TestRacyEntriesNotSaved(t *testing.T) {
	now := time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC)
	cut := now.Add(-Margin).UnixNano()
	cases := map[string]struct {
		mtime, ctime int64
		saved        bool
	}{
		"both old":             {mtime: cut - int64(time.Hour), ctime: cut - int64(time.Hour), saved: true},
		"both at the cut":      {mtime: cut, ctime: cut, saved: true},
		"mtime a ns too new":   {mtime: cut + 1, ctime: cut},
		"ctime a ns too new":   {mtime: cut, ctime: cut + 1},
		"changed just now":     {mtime: now.UnixNano(), ctime: now.UnixNano()},
		"mtime set to future":  {mtime: now.Add(time.Hour).UnixNano(), ctime: cut},
		"old mtime, new ctime": {mtime: 0, ctime: now.Add(-time.Second).UnixNano()},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			x := New()
			e := &entry{fp: Fingerprint{Dev: 1, Ino: 2, Size: 3, Mtime: tc.mtime, Ctime: tc.ctime, Mode: syscall.S_IFREG | 0o644}, sha: someSHA}
			x.entries["/etc/tls/web.crt"] = e
			x.dirty = true
			path := filepath.Join(t.TempDir(), "file-index")
			if err := x.Save(path, now); err != nil {
				t.Fatal(err)
			}
			y, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := y.entries["/etc/tls/web.crt"] != nil; got != tc.saved {
				t.Errorf("saved: %v, want %v", got, tc.saved)
			}
		})
	}
}

// TestChangeDuringReadIsSeenNextRun: a file rewritten while it is hashed
// (to the same size, in the same clock tick) is hashed again by the next
// run, since the racy rule kept its entry out of the saved index.
func TestChangeDuringReadIsSeenNextRun(t *testing.T) {
	dir := t.TempDir()
	path, index := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "file-index")
	writeFile(t, path, "certificate")
	countHashes(t, func(p string) { writeFile(t, p, "CERTIFICATE") })
	x := New()
	if f, err := x.File(path); err != nil || f.SHA256 != digest.SHA256([]byte("certificate")) {
		t.Fatalf("%+v, %v", f, err)
	}
	if err := x.Save(index, time.Now()); err != nil {
		t.Fatal(err)
	}
	hashes := countHashes(t, nil)
	y, err := Load(index)
	if err != nil {
		t.Fatal(err)
	}
	f, err := y.File(path)
	if err != nil || f.SHA256 != digest.SHA256([]byte("CERTIFICATE")) || hashes.Load() != 1 {
		t.Errorf("next run: %+v, %v, %d hashes; want the new content, hashed", f, err, hashes.Load())
	}
}

// TestSaveAndReload: a saved index answers the next run without reading
// the files, is 0600 even over a 0644 file, and is not rewritten when
// nothing changed; entries this run did not use are kept.
func TestSaveAndReload(t *testing.T) {
	dir := t.TempDir()
	a, b, index := filepath.Join(dir, "a.crt"), filepath.Join(dir, "b.crt"), filepath.Join(dir, "file-index")
	writeFile(t, a, "a")
	writeFile(t, b, "b")
	writeFile(t, index, "left by someone else\n")
	later := time.Now().Add(time.Minute)      // the files' times are older than later-Margin
	clock = func() time.Time { return later } // hashed a minute after they were written
	t.Cleanup(func() { clock = time.Now })
	x := New()
	x.File(a)
	x.File(b)
	if err := x.Save(index, later); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(index)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("index: %v, %v; want mode 0600", st, err)
	}

	hashes := countHashes(t, nil)
	y, err := Load(index)
	if err != nil || y.Len() != 2 {
		t.Fatalf("load: %v, %d entries", err, y.Len())
	}
	if f, err := y.File(a); err != nil || f.SHA256 != digest.SHA256([]byte("a")) {
		t.Fatalf("%+v, %v", f, err)
	}
	if hashes.Load() != 0 || y.Stats() != (Stats{Unchanged: 1}) {
		t.Errorf("%d hashes, stats %+v; want the entry's answer", hashes.Load(), y.Stats())
	}
	if err := y.Save(index, later); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.Stat(index); !os.SameFile(st, again) {
		t.Error("an unchanged index was written again")
	}

	writeFile(t, a, "A")
	if _, err := y.File(a); err != nil {
		t.Fatal(err)
	}
	if err := y.Save(index, later); err != nil {
		t.Fatal(err)
	}
	z, _ := Load(index)
	if z.Len() != 2 || z.entries[b] == nil || z.entries[a].sha != digest.SHA256([]byte("A")) {
		t.Errorf("after a change to a: %d entries, b kept: %v", z.Len(), z.entries[b] != nil)
	}
}

// TestUnusedEntriesGoFirst: when the index would outgrow its bound, the
// entries this run did not use are dropped, and the used ones kept.
func TestUnusedEntriesGoFirst(t *testing.T) {
	x := New()
	long := "/" + strings.Repeat("d", 4000) + "/"
	n := limits.FileIndex / 4000
	for i := range n {
		e := &entry{fp: Fingerprint{Mode: syscall.S_IFREG | 0o600}, sha: someSHA}
		e.used.Store(i%2 == 0)
		x.entries[long+strings.Repeat("f", 1+i%200)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676))] = e
	}
	x.dirty = true
	path := filepath.Join(t.TempDir(), "file-index")
	if err := x.Save(path, time.Now()); err != nil {
		t.Fatal(err)
	}
	y, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var usedKept, unusedKept int
	for p := range y.entries {
		if x.entries[p].used.Load() {
			usedKept++
		} else {
			unusedKept++
		}
	}
	if usedKept != (n+1)/2 || unusedKept == 0 || unusedKept == n/2 {
		t.Errorf("kept %d of %d used and %d of %d unused entries; want all used and some unused", usedKept, (n+1)/2, unusedKept, n/2)
	}
}

// TestLoadIgnoresBadIndex: a damaged, oversized or foreign index is an
// empty one (every file hashed), with an error that says why; a missing
// one is empty without an error. Each damage is made to an entry that
// loads as it is ("one entry").
func TestLoadIgnoresBadIndex(t *testing.T) {
	good, err := os.ReadFile("testdata/v1.index")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(good), "\n")
	cases := map[string]struct {
		data    string // "" leaves the file missing
		size    int64  // a sparse file of this size
		wantErr error
		wantLen int
	}{
		"missing":            {},
		"one entry":          {data: "certform-file-index 1 1\n" + lines[1], wantLen: 1},
		"empty":              {data: "\n", wantErr: errMalformed},
		"newer version":      {data: "certform-file-index 2 0\n", wantErr: ErrUnsupportedVersion},
		"not an index":       {data: "{\"version\": 1}\n", wantErr: errMalformed},
		"truncated":          {data: strings.Join(lines[:len(lines)-2], ""), wantErr: errMalformed},
		"cut mid-line":       {data: string(good[:len(good)-5]), wantErr: errMalformed},
		"extra line":         {data: string(good) + lines[1], wantErr: errMalformed},
		"count too large":    {data: "certform-file-index 1 4000000000\n", wantErr: errMalformed},
		"repeated path":      {data: "certform-file-index 1 2\n" + lines[1] + lines[1], wantErr: errMalformed},
		"upper-case hash":    {data: "certform-file-index 1 1\n" + strings.ToUpper(lines[1][:64]) + lines[1][64:], wantErr: errMalformed},
		"a directory's mode": {data: "certform-file-index 1 1\n" + strings.Replace(lines[1], " 100600 ", " 40755 ", 1), wantErr: errMalformed},
		"relative path":      {data: "certform-file-index 1 1\n" + strings.Replace(lines[1], " /", " ", 1), wantErr: errMalformed},
		"negative size":      {data: "certform-file-index 1 1\n" + strings.Replace(lines[1], " 227 ", " -227 ", 1), wantErr: errMalformed},
		"too large":          {size: limits.FileIndex + 1, wantErr: limits.ErrTooLarge},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "file-index")
			if tc.data != "" {
				writeFile(t, path, tc.data)
			}
			if tc.size > 0 {
				if err := os.WriteFile(path, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(path, tc.size); err != nil {
					t.Fatal(err)
				}
			}
			x, err := Load(path)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if x == nil || x.Len() != tc.wantLen {
				t.Fatalf("index %v, want %d entries", x, tc.wantLen)
			}
		})
	}
}

// TestFormatV1 reads the version 1 example in testdata and writes it
// back byte for byte.
func TestFormatV1(t *testing.T) {
	data, err := os.ReadFile("testdata/v1.index")
	if err != nil {
		t.Fatal(err)
	}
	f, err := decode(data)
	if err != nil {
		t.Fatal(err)
	}
	want := fileV1{Entries: []entryV1{
		{Path: "/etc/tls/web key.pem", SHA256: someSHA, Mode: syscall.S_IFREG | 0o600, Dev: 66306, Ino: 1310722, Size: 227, Mtime: 1796650000123456789, Ctime: 1796650000123456789},
		{Path: "/etc/tls/web.crt", SHA256: strings.Repeat("ab", 32), Mode: syscall.S_IFREG | 0o644, Dev: 66306, Ino: 1310721, Size: 1234, Mtime: -5, Ctime: 1796650000000000000},
	}}
	if d := cmp.Diff(want, f); d != "" {
		t.Errorf("decoded (-want +got):\n%s", d)
	}
	if got := f.encode(); string(got) != string(data) {
		t.Errorf("encoded:\n%s\nwant:\n%s", got, data)
	}
	if !slices.IsSortedFunc(f.Entries, byPath) {
		t.Error("testdata/v1.index is not sorted")
	}
}

// TestRacyCutAtHashTime: an entry is cut by the time its file was hashed,
// not by the time of the save. A file changed just after its hash, in the
// same clock tick and to the same size, keeps its fingerprint; had the
// plan saved more than Margin after the hash and the cut been the save's,
// the old hash would answer for the new content until the next change.
func TestRacyCutAtHashTime(t *testing.T) {
	dir := t.TempDir()
	path, index := filepath.Join(dir, "web.crt"), filepath.Join(dir, "file-index")
	writeFile(t, path, "certificate")
	x := New()
	if _, err := x.File(path); err != nil { // hashed now, within a tick of the write
		t.Fatal(err)
	}
	if err := x.Save(index, time.Now().Add(time.Minute)); err != nil { // saved long after
		t.Fatal(err)
	}
	y, err := Load(index)
	if err != nil {
		t.Fatal(err)
	}
	if y.entries[path] != nil {
		t.Fatal("an entry hashed within Margin of its file's ctime was saved")
	}
}

// TestSavableAfter: a file written now can be saved once Margin has
// passed since, and a missing path is an error.
func TestSavableAfter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.crt")
	before := time.Now()
	writeFile(t, path, "certificate")
	at, err := SavableAfter(path)
	if err != nil || at.Before(before.Add(Margin-time.Second)) || at.After(time.Now().Add(Margin+time.Second)) {
		t.Fatalf("SavableAfter = %v, %v; want about %v", at, err, before.Add(Margin))
	}
	if _, err := SavableAfter(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("a missing path: no error")
	}
}

// TestLoadRefusesPipe: a named pipe planted at the index's path is
// refused at once (an empty index, every file hashed), where opening it
// to read would wait for a writer and hang the plan.
func TestLoadRefusesPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file-index")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var x *Index
	var err error
	go func() {
		x, err = Load(path)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // a bound on a hang, not a timing claim
		t.Fatal("Load waited on the pipe")
	}
	if err == nil || !strings.Contains(err.Error(), "is not a regular file") || x.Len() != 0 {
		t.Fatalf("Load = %d entries, %v; want an empty index and the pipe refused", x.Len(), err)
	}
}
