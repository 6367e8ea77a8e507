package local

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzJournal feeds Load a journal of arbitrary bytes, as a crash, a full
// disk or a hand edit may leave one beside no state file. Load must never
// panic, and a state it accepts must be one the state file can hold:
// persisted and loaded again (without the journal), it reads back with the
// same lineage and addresses. A journal entry the state file refuses would
// be written by the next apply and then refused by every run after it.
// Seeds are in testdata/fuzz/FuzzJournal.
func FuzzJournal(f *testing.F) {
	f.Fuzz(func(t *testing.T, journal []byte) {
		l := &Backend{Path: filepath.Join(t.TempDir(), DefaultPath)}
		if err := os.WriteFile(l.journalPath(), journal, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := l.Load(t.Context())
		if err != nil {
			return
		}
		if err := l.Persist(t.Context(), s); err != nil {
			t.Fatalf("persisting a replayed journal: %v", err)
		}
		os.Remove(l.journalPath())
		back, err := (&Backend{Path: l.Path}).Load(t.Context())
		if err != nil {
			data, _ := os.ReadFile(l.Path)
			t.Fatalf("the state persisted from a replayed journal does not load: %v\n%s", err, data)
		}
		if back.Lineage != s.Lineage || !slices.Equal(back.Addrs(), s.Addrs()) {
			t.Fatalf("read back lineage %q %v, persisted %q %v", back.Lineage, back.Addrs(), s.Lineage, s.Addrs())
		}
	})
}
