package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend"
	"github.com/certform/certform/state/statefile"
)

// DefaultPath is the local state file, relative to the config directory.
const DefaultPath = "certform.state.json"

// Backend keeps state in a file, with a .backup of the previous version and a
// .lock file beside it.
type Backend struct {
	// Path is the state file as configured: what messages name.
	Path string
	// Dir is the directory a relative Path is taken from (the
	// configuration directory); empty: the working directory.
	Dir workdir.Dir

	lock    *os.File
	journal *os.File // open while apply records changes
	// journalSize is the journal's length after the last whole append;
	// journalErr, once set, refuses further appends (a failed one could
	// not be cut off).
	journalSize int64
	journalErr  error
	persisted   []byte // last encoding written, serial zeroed
	loaded      []byte // the file as Load read it, until the first Persist
	serial      uint64
	backedUp    bool // the .backup of this run's starting state is written
}

// Load reads the state file and replays the journal of an interrupted
// apply, if one was left. A missing file yields a new, empty state; a file
// that does not parse is an error, and is never overwritten.
func (l *Backend) Load(ctx context.Context) (*state.State, error) {
	s, err := l.load()
	if err != nil {
		return nil, err
	}
	replayed, err := l.replayJournal(s, l.serial == 0 && l.loaded == nil)
	if err != nil {
		return nil, err
	}
	if replayed {
		// The content moved on from the file: the serial says so, and the
		// next Persist writes it whatever it compares with.
		s.Serial = l.serial + 1
		l.loaded, l.persisted = nil, nil
	}
	return s, nil
}

func (l *Backend) load() (*state.State, error) {
	l.persisted, l.loaded, l.serial, l.backedUp = nil, nil, 0, false
	data, err := limits.ReadOwnFile(l.File(""), limits.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return state.New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	s, err := statefile.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("reading state %s: %w", l.Path, err)
	}
	// Comparing content needs an encoding with the serial zeroed; it is
	// made only if Persist is called, so a plan of a large state does not
	// pay for it.
	l.serial, l.loaded = s.Serial, data
	return s, nil
}

// Persist writes s if its content differs from what was last loaded or
// persisted, raising the serial. The first write after Load keeps the file
// as it was as .backup, as Terraform keeps the state from before a run.
// It sets s.Serial to the serial written.
func (l *Backend) Persist(ctx context.Context, s *state.State) error {
	content, err := statefile.Content(s)
	if err != nil {
		return err
	}
	if l.loaded != nil {
		old, err := statefile.Decode(l.loaded)
		if err != nil {
			return err
		}
		if l.persisted, err = statefile.Content(old); err != nil {
			return err
		}
		l.loaded = nil
	}
	if l.persisted != nil && bytes.Equal(content, l.persisted) {
		s.Serial = l.serial
		return l.dropJournal()
	}
	s.Serial = l.serial + 1
	data, err := statefile.Encode(s)
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	if !l.backedUp {
		if old, err := os.ReadFile(l.File("")); err == nil {
			if err := atomicfile.Write(l.File(".backup"), old, 0o600); err != nil {
				return fmt.Errorf("writing state backup: %w", err)
			}
		}
		l.backedUp = true
	}
	if err := atomicfile.Write(l.File(""), data, 0o600); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	l.persisted, l.serial = content, s.Serial
	return l.dropJournal()
}

// Describe names the state file.
func (l *Backend) Describe() string { return l.Path }

// File is where the state file, or the file beside it with suffix
// (".lock", ".journal", ".backup"), is on disk.
func (l *Backend) File(suffix string) string { return l.Dir.Path(l.Path + suffix) }

// ForceUnlock cannot break a local lock: a flock is released by the kernel
// when its holder exits, however it exits, so it is never stale. It says
// who holds it instead.
func (l *Backend) ForceUnlock(ctx context.Context, id string) error {
	_, err := l.Lock(ctx, backend.NewLockInfo("force-unlock"), 0)
	var locked *backend.LockedError
	switch {
	case err == nil:
		l.Unlock(ctx)
		return backend.ErrNotLocked
	case errors.As(err, &locked) && locked.Holder.ID != id:
		return fmt.Errorf("the lock ID is %s, not %s", locked.Holder.ID, id)
	case errors.As(err, &locked):
		return fmt.Errorf("%v: a local lock is released only when that process exits (stop process %d on %s; a crashed run never leaves one behind)",
			locked, locked.Holder.PID, locked.Holder.Who)
	}
	return err
}

var _ backend.Backend = (*Backend)(nil)
