package local

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"

	"github.com/certform/certform/internal/fault"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/statefile"
)

// The journal: while apply runs, each finished change to an address is
// appended to <state>.journal as one JSON line and synced, instead of
// rewriting the whole state file each time (which costs O(n) per change,
// O(n²) per run). Persist writes the full state and removes the journal;
// Load replays a journal left by an interrupted run, so nothing recorded is
// lost.
//
// An append is all or nothing: one that fails (a full disk) is cut off
// again before Record returns its error, and if even that fails the
// journal takes no further appends. A torn line left by a crash or an
// older certform (the last, or one that later appends ran into) holds only
// changes no one was told were recorded: replay skips it and keeps the
// entries after it. A line that parses but is not a valid entry is an
// error, and the files are left as they are.

const journalVersion = 1

type journalHeader struct {
	Journal int    `json:"journal"`
	Lineage string `json:"lineage"`
}

type journalEntry struct {
	Address string                       `json:"address"`
	Record  *statefile.CertificateRecord `json:"record"` // null: the address was removed
}

// journalPath names the journal in messages; journalFile places it.
func (l *Backend) journalPath() string { return l.Path + ".journal" }
func (l *Backend) journalFile() string { return l.File(".journal") }

// Record appends changes (address → record, nil for removal) to the
// journal of the state with lineage, and syncs it once for all of them.
func (l *Backend) Record(ctx context.Context, lineage string, changes map[string]*state.Certificate) error {
	if l.journalErr != nil {
		return l.journalErr
	}
	if l.journal == nil {
		f, err := os.OpenFile(l.journalFile(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("opening state journal: %w", err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("opening state journal: %w", err)
		}
		l.journal, l.journalSize = f, st.Size()
	}
	var lines []any
	if l.journalSize == 0 {
		lines = append(lines, journalHeader{Journal: journalVersion, Lineage: lineage})
	}
	for _, addr := range slices.Sorted(maps.Keys(changes)) {
		e := journalEntry{Address: addr}
		if c := changes[addr]; c != nil {
			w := statefile.EncodeCertificate(c)
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
	_, err := journalWrite(l.journal, buf.Bytes())
	if err != nil {
		err = fmt.Errorf("writing state journal: %w", err)
	} else {
		fault.Point(fault.JournalAppend)
		if err = l.journal.Sync(); err != nil {
			err = fmt.Errorf("syncing state journal: %w", err)
		}
	}
	if err != nil {
		// Cut the append off again, so that nothing of it is replayed and
		// later appends follow whole lines.
		if terr := l.journal.Truncate(l.journalSize); terr != nil {
			l.journalErr = fmt.Errorf("state journal %s holds a failed append that could not be removed (%w); it takes no more changes", l.journalPath(), terr)
			return errors.Join(err, l.journalErr)
		}
		return err
	}
	l.journalSize += int64(buf.Len())
	return nil
}

// journalWrite appends to the journal; tests replace it to fail as a full
// disk does, part way.
var journalWrite = (*os.File).Write

// replayJournal applies a journal left by an interrupted run to s and
// reports whether there was one. s has no file behind it when fresh.
func (l *Backend) replayJournal(s *state.State, fresh bool) (bool, error) {
	data, err := limits.ReadOwnFile(l.journalFile(), limits.StateFile)
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
	// A header without a lineage is not one Record writes; on a fresh
	// state its lineage would become the state's, which the next Persist
	// writes and every Load after refuses.
	if err := json.Unmarshal(lines[0], &head); err != nil || head.Journal != journalVersion || head.Lineage == "" {
		return false, fmt.Errorf("state journal %s is not one this certform writes", l.journalPath())
	}
	if fresh {
		s.Lineage = head.Lineage
	} else if head.Lineage != s.Lineage {
		return false, fmt.Errorf("state journal %s belongs to lineage %s, not %s", l.journalPath(), head.Lineage, s.Lineage)
	}
	for i, line := range lines[1:] {
		e, torn, err := journalLine(line)
		if err != nil {
			return false, fmt.Errorf("state journal %s line %d is malformed: %w", l.journalPath(), i+2, err)
		}
		if torn {
			continue // its changes were never acknowledged
		}
		if e.Record == nil {
			delete(s.Certificates, e.Address)
			continue
		}
		c, err := statefile.DecodeCertificate(e.Address, *e.Record)
		if err != nil {
			return false, fmt.Errorf("state journal %s line %d: %w", l.journalPath(), i+2, err)
		}
		s.Certificates[e.Address] = c
	}
	return true, nil
}

// journalLine decodes one journal line. A line that is not JSON was torn:
// a failed or interrupted append, possibly followed on the same line by a
// whole entry appended after it (written by a certform that did not cut
// failed appends off), which is then the entry the line holds. Entries
// always begin with entryStart, which cannot occur inside a JSON string.
func journalLine(line []byte) (e journalEntry, torn bool, err error) {
	if !json.Valid(line) {
		i := bytes.LastIndex(line, entryStart)
		if i <= 0 || !json.Valid(line[i:]) {
			return e, true, nil
		}
		line = line[i:]
	}
	return e, false, json.Unmarshal(line, &e)
}

var entryStart = []byte(`{"address":`)

// dropJournal closes and removes the journal once a full state holds it.
func (l *Backend) dropJournal() error {
	if l.journal != nil {
		l.journal.Close()
		l.journal, l.journalSize, l.journalErr = nil, 0, nil
	}
	if err := os.Remove(l.journalFile()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing state journal: %w", err)
	}
	return nil
}
