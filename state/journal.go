package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"

	"github.com/certform/certform/internal/fault"
)

// The journal: while apply runs, each finished change to an address is
// appended to <state>.journal as one JSON line and synced, instead of
// rewriting the whole state file each time (which costs O(n) per change,
// O(n²) per run). Persist writes the full state and removes the journal;
// Load replays a journal left by an interrupted run, so nothing recorded is
// lost. A torn last line (a crash mid-write) is ignored; any other damage
// is an error and the files are left as they are.

const journalVersion = 1

type journalHeader struct {
	Journal int    `json:"journal"`
	Lineage string `json:"lineage"`
}

type journalEntry struct {
	Address string         `json:"address"`
	Record  *certificateV1 `json:"record"` // null: the address was removed
}

func (l *Local) journalPath() string { return l.Path + ".journal" }

// Record appends changes (address → record, nil for removal) to the
// journal of the state with lineage, and syncs it once for all of them.
func (l *Local) Record(lineage string, changes map[string]*Certificate) error {
	var lines []any
	if l.journal == nil {
		f, err := os.OpenFile(l.journalPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("opening state journal: %w", err)
		}
		l.journal = f
		if st, err := f.Stat(); err == nil && st.Size() == 0 {
			lines = append(lines, journalHeader{Journal: journalVersion, Lineage: lineage})
		}
	}
	for _, addr := range slices.Sorted(maps.Keys(changes)) {
		e := journalEntry{Address: addr}
		if c := changes[addr]; c != nil {
			w := encodeCertificate(c)
			e.Record = &w
		}
		lines = append(lines, e)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // one value per line
	for _, line := range lines {
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	if _, err := l.journal.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing state journal: %w", err)
	}
	fault.Point(fault.JournalAppend)
	if err := l.journal.Sync(); err != nil {
		return fmt.Errorf("syncing state journal: %w", err)
	}
	return nil
}

// replayJournal applies a journal left by an interrupted run to s and
// reports whether there was one. s has no file behind it when fresh.
func (l *Local) replayJournal(s *State, fresh bool) (bool, error) {
	data, err := os.ReadFile(l.journalPath())
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading state journal: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20)
	var lines [][]byte
	for sc.Scan() {
		lines = append(lines, slices.Clone(sc.Bytes()))
	}
	if len(lines) == 0 {
		return false, nil
	}
	var head journalHeader
	if err := json.Unmarshal(lines[0], &head); err != nil || head.Journal != journalVersion {
		return false, fmt.Errorf("state journal %s is not one this certform writes", l.journalPath())
	}
	if fresh {
		s.Lineage = head.Lineage
	} else if head.Lineage != s.Lineage {
		return false, fmt.Errorf("state journal %s belongs to lineage %s, not %s", l.journalPath(), head.Lineage, s.Lineage)
	}
	complete := len(data) > 0 && data[len(data)-1] == '\n'
	for i, line := range lines[1:] {
		var e journalEntry
		if err := json.Unmarshal(line, &e); err != nil {
			if i == len(lines)-2 && !complete {
				break // torn final line: that change was never acknowledged
			}
			return false, fmt.Errorf("state journal %s line %d is malformed: %w", l.journalPath(), i+2, err)
		}
		if e.Record == nil {
			delete(s.Certificates, e.Address)
			continue
		}
		c, err := decodeCertificate(e.Address, *e.Record)
		if err != nil {
			return false, fmt.Errorf("state journal %s line %d: %w", l.journalPath(), i+2, err)
		}
		s.Certificates[e.Address] = c
	}
	return true, nil
}

// dropJournal closes and removes the journal once a full state holds it.
func (l *Local) dropJournal() error {
	if l.journal != nil {
		l.journal.Close()
		l.journal = nil
	}
	if err := os.Remove(l.journalPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing state journal: %w", err)
	}
	return nil
}
