package local

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/certform/certform/state"
)

// TestJournalReplay records changes as apply does, "crashes" (no final
// Persist), and loads again: every recorded change is there.
func TestJournalReplay(t *testing.T) {
	tests := map[string]struct {
		withFile bool   // a state file existed before the run
		tail     string // appended to the journal after the changes
		wantErr  string
	}{
		"first run, no state file":           {},
		"state file exists":                  {withFile: true},
		"torn last line is ignored":          {withFile: true, tail: `{"address": "certificate.c", "rec`},
		"torn line in the middle is skipped": {withFile: true, tail: "garbage\n{\"address\":\"certificate.c\",\"record\":null}\n"},
		"torn append with a later one on its line": {withFile: true,
			tail: `{"address":"certificate.c","rec` + `{"address":"certificate.d","record":null}` + "\n"},
		"an entry that is not one fails": {withFile: true, tail: "[1, 2]\n{\"address\":\"certificate.c\",\"record\":null}\n", wantErr: "line 5 is malformed"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			l := &Backend{Path: filepath.Join(t.TempDir(), DefaultPath)}
			s, _ := l.Load(t.Context())
			s.Certificates["certificate.gone"] = &state.Certificate{Addr: "certificate.gone", Status: state.StatusIssued}
			if tc.withFile {
				if err := l.Persist(t.Context(), s); err != nil {
					t.Fatal(err)
				}
			}
			a := &state.Certificate{Addr: "certificate.a", Status: state.StatusPending, KeySHA256: "aa", CSRName: "a-1"}
			must(t, l.Record(t.Context(), s.Lineage, map[string]*state.Certificate{"certificate.a": a}))
			a2 := a.DeepCopy()
			a2.Status, a2.SerialNumber = state.StatusIssued, "0f"
			must(t, l.Record(t.Context(), s.Lineage, map[string]*state.Certificate{"certificate.a": a2, "certificate.gone": nil}))
			if tc.tail != "" {
				f, _ := os.OpenFile(l.Path+".journal", os.O_APPEND|os.O_WRONLY, 0)
				f.WriteString(tc.tail)
				f.Close()
			}
			l.Unlock(t.Context())

			l2 := &Backend{Path: l.Path}
			back, err := l2.Load(t.Context())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if back.Lineage != s.Lineage || len(back.Certificates) != 1 || back.Certificates["certificate.a"].SerialNumber != "0f" {
				t.Fatalf("replayed state = %+v", back)
			}
			wantSerial := s.Serial + 1
			if back.Serial != wantSerial {
				t.Errorf("serial after replay = %d, want %d (moved on from the file)", back.Serial, wantSerial)
			}
			must(t, l2.Persist(t.Context(), back))
			if _, err := os.Stat(l.Path + ".journal"); !os.IsNotExist(err) {
				t.Errorf("journal still there after Persist: %v", err)
			}
			if back.Serial != wantSerial {
				t.Errorf("serial written = %d, want %d", back.Serial, wantSerial)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestJournalFailedAppendIsCutOff: an append that fails part way (a full
// disk) leaves nothing of itself in the journal, later appends succeed,
// and the journal replays with exactly the acknowledged changes.
func TestJournalFailedAppendIsCutOff(t *testing.T) {
	for name, failAt := range map[string]int{"first append (with the header)": 0, "a later append": 1} {
		t.Run(name, func(t *testing.T) {
			l := &Backend{Path: filepath.Join(t.TempDir(), DefaultPath)}
			s, _ := l.Load(t.Context())
			calls := 0
			journalWrite = func(f *os.File, b []byte) (int, error) {
				defer func() { calls++ }()
				if calls == failAt {
					n, _ := f.Write(b[:len(b)/2])
					return n, syscall.ENOSPC
				}
				return f.Write(b)
			}
			defer func() { journalWrite = (*os.File).Write }()
			var acked []string
			for _, addr := range []string{"certificate.a", "certificate.b", "certificate.c"} {
				err := l.Record(t.Context(), s.Lineage, map[string]*state.Certificate{addr: {Addr: addr, Status: state.StatusPending, CSRName: addr}})
				if err == nil {
					acked = append(acked, addr)
				}
			}
			if len(acked) != 2 {
				t.Fatalf("acknowledged %v, want all but the failed append", acked)
			}
			back, err := (&Backend{Path: l.Path}).Load(t.Context())
			if err != nil {
				t.Fatalf("loading after a failed append: %v", err)
			}
			if len(back.Certificates) != len(acked) {
				t.Errorf("replayed %v, want %v", back.Addrs(), acked)
			}
			for _, addr := range acked {
				if back.Certificates[addr] == nil {
					t.Errorf("%s was acknowledged and is not in the journal", addr)
				}
			}
		})
	}
}

// TestJournalOnFullDisk fills a small tmpfs (so it needs root and is
// skipped without): appends that hit the full disk fail and leave nothing
// behind, appends after space was freed succeed, and the journal loads
// with every acknowledged change.
func TestJournalOnFullDisk(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=16k,mode=0700"); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v", err)
	}
	l := &Backend{Path: filepath.Join(dir, DefaultPath)}
	t.Cleanup(func() {
		if l.journal != nil {
			l.journal.Close()
		}
		syscall.Unmount(dir, syscall.MNT_DETACH)
	})
	s, _ := l.Load(t.Context())
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 8<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	hosts := make([]string, 40)
	for i := range hosts {
		hosts[i] = strings.Repeat("h", 40) + ".example"
	}
	acked, failed := map[string]bool{}, 0
	record := func(n int) {
		addr := "certificate.c" + strconv.Itoa(n)
		c := &state.Certificate{Addr: addr, Status: state.StatusPending, CSRName: addr, Request: state.Request{Hosts: hosts}}
		if err := l.Record(t.Context(), s.Lineage, map[string]*state.Certificate{addr: c}); err != nil {
			failed++
			return
		}
		acked[addr] = true
	}
	for n := 0; n < 12; n++ {
		record(n)
	}
	if failed == 0 {
		t.Fatal("the disk never filled up; make the records larger")
	}
	os.Remove(filler)
	for n := 12; n < 14; n++ {
		record(n)
	}
	back, err := (&Backend{Path: l.Path}).Load(t.Context())
	if err != nil {
		t.Fatalf("loading after a full disk: %v", err)
	}
	for addr := range acked {
		if back.Certificates[addr] == nil {
			t.Errorf("%s was acknowledged and is not in the journal", addr)
		}
	}
	if len(back.Certificates) != len(acked) {
		t.Errorf("replayed %d records, want the %d acknowledged", len(back.Certificates), len(acked))
	}
	t.Logf("%d appends acknowledged, %d failed on the full disk", len(acked), failed)
}
