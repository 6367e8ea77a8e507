package fileindex

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestSeen: a stat handed in by Seen answers the next lookup of its path
// in place of a stat of the index's own, once; a stat of anything but a
// regular file, or of a path without an entry, is ignored. The handed-in
// stat is made to differ from the file on disk, so that which one the
// index used shows in its answer.
func TestSeen(t *testing.T) {
	const marker = "0000000000000000000000000000000000000000000000000000000000000000"
	cases := map[string]struct {
		seen     func(st *syscall.Stat_t) // turns the file's real stat into the one handed in
		path     string                   // "" for the file's own
		answered bool                     // the entry answers the first lookup after Seen
	}{
		"as on disk":              {seen: func(*syscall.Stat_t) {}, answered: true},
		"changed since the entry": {seen: func(st *syscall.Stat_t) { st.Size++ }},
		"a directory's stat":      {seen: func(st *syscall.Stat_t) { st.Mode = st.Mode&^syscall.S_IFMT | syscall.S_IFDIR }, answered: true},
		"another path":            {seen: func(st *syscall.Stat_t) { st.Size++ }, path: "other.crt", answered: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "tls.crt")
			writeFile(t, path, "certificate")
			hashes := countHashes(t, nil)
			x := New()
			if _, err := x.File(path); err != nil {
				t.Fatal(err)
			}
			x.entries[path].sha = marker
			var st syscall.Stat_t
			if err := syscall.Stat(path, &st); err != nil {
				t.Fatal(err)
			}
			tc.seen(&st)
			seenPath := path
			if tc.path != "" {
				seenPath = filepath.Join(dir, tc.path)
			}
			x.Seen(seenPath, &st)
			got, err := x.File(path)
			if err != nil {
				t.Fatal(err)
			}
			if answered := got.SHA256 == marker; answered != tc.answered {
				t.Fatalf("answered from the entry: %v, want %v (%d hashes)", answered, tc.answered, hashes.Load())
			}
			// The stat handed in serves once: the next lookup stats the
			// file, which is as the entry (or the new entry) says.
			again, err := x.File(path)
			if err != nil || again.SHA256 != got.SHA256 {
				t.Fatalf("next lookup: %+v, %v; want the same answer %s", again, err, got.SHA256)
			}
		})
	}
	var none *Index
	none.Seen("/x", &syscall.Stat_t{}) // a nil index takes nothing, and does not panic
}
