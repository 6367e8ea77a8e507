package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJournalReplay records changes as apply does, "crashes" (no final
// Persist), and loads again: every recorded change is there.
func TestJournalReplay(t *testing.T) {
	tests := map[string]struct {
		withFile bool   // a state file existed before the run
		tail     string // appended to the journal after the changes
		wantErr  string
	}{
		"first run, no state file":   {},
		"state file exists":          {withFile: true},
		"torn last line is ignored":  {withFile: true, tail: `{"address": "certificate.c", "rec`},
		"damage in the middle fails": {withFile: true, tail: "garbage\n{\"address\":\"certificate.c\",\"record\":null}\n", wantErr: "line 5 is malformed"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			l := &Local{Path: filepath.Join(t.TempDir(), DefaultPath)}
			s, _ := l.Load()
			s.Certificates["certificate.gone"] = &Certificate{Addr: "certificate.gone", Status: StatusIssued}
			if tc.withFile {
				if err := l.Persist(s); err != nil {
					t.Fatal(err)
				}
			}
			a := &Certificate{Addr: "certificate.a", Status: StatusPending, KeySHA256: "aa", CSRName: "a-1"}
			must(t, l.Record(s.Lineage, map[string]*Certificate{"certificate.a": a}))
			a2 := a.DeepCopy()
			a2.Status, a2.SerialNumber = StatusIssued, "0f"
			must(t, l.Record(s.Lineage, map[string]*Certificate{"certificate.a": a2, "certificate.gone": nil}))
			if tc.tail != "" {
				f, _ := os.OpenFile(l.Path+".journal", os.O_APPEND|os.O_WRONLY, 0)
				f.WriteString(tc.tail)
				f.Close()
			}
			l.Unlock()

			l2 := &Local{Path: l.Path}
			back, err := l2.Load()
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
			must(t, l2.Persist(back))
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
