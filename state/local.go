package state

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/certform/certform/internal/atomicfile"
)

// DefaultPath is the local state file, relative to the config directory.
const DefaultPath = "certform.state.json"

// Local keeps state in a file, with a .backup of the previous version and a
// .lock file beside it.
type Local struct {
	Path string

	lock      *os.File
	persisted []byte // last encoding written, serial zeroed
	loaded    []byte // the file as Load read it, until the first Persist
	serial    uint64
}

// Load reads the state file. A missing file yields a new, empty state; a
// file that does not parse is an error, and is never overwritten.
func (l *Local) Load() (*State, error) {
	data, err := os.ReadFile(l.Path)
	if errors.Is(err, fs.ErrNotExist) {
		s := New()
		l.persisted, l.loaded, l.serial = nil, nil, 0
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	s, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("reading state %s: %w", l.Path, err)
	}
	// Comparing content needs an encoding with the serial zeroed; it is
	// made only if Persist is called, so a plan of a large state does not
	// pay for it.
	l.serial, l.loaded, l.persisted = s.Serial, data, nil
	return s, nil
}

// Persist writes s if its content differs from what was last loaded or
// persisted, raising the serial, and keeps the previous file as .backup.
// It sets s.Serial to the serial written.
func (l *Local) Persist(s *State) error {
	content, err := contentOf(s)
	if err != nil {
		return err
	}
	if l.loaded != nil {
		old, err := Decode(l.loaded)
		if err != nil {
			return err
		}
		if l.persisted, err = contentOf(old); err != nil {
			return err
		}
		l.loaded = nil
	}
	if l.persisted != nil && bytes.Equal(content, l.persisted) {
		s.Serial = l.serial
		return nil
	}
	s.Serial = l.serial + 1
	data, err := Encode(s)
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	if old, err := os.ReadFile(l.Path); err == nil {
		if err := atomicfile.Write(l.Path+".backup", old, 0o600); err != nil {
			return fmt.Errorf("writing state backup: %w", err)
		}
	}
	if err := atomicfile.Write(l.Path, data, 0o600); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	l.persisted, l.serial = content, s.Serial
	return nil
}

// contentOf is s's encoding with the serial zeroed, to tell real changes.
func contentOf(s *State) ([]byte, error) {
	c := *s
	c.Serial = 0
	return Encode(&c)
}
