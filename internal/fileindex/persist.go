package fileindex

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/internal/limits"
)

// Margin is how recent a file's mtime or ctime may be, at the time it was
// hashed (at the latest, of the save), for its entry to be saved: entries
// newer than that are left out and their files hashed again next run
// (git's "racily clean" rule).
//
// An entry can only be trusted if any change to the file after its hash
// gives it another ctime. A filesystem stores timestamps at some
// granularity g (ext4, xfs and btrfs: a clock tick, a few milliseconds,
// since the kernel stamps files with its coarse clock; ext3 and HFS+:
// 1 s; FAT: 2 s), so a change at wall time t gets a ctime in (t-g, t]. A
// change made after a hash at H, taken before the fstat whose fingerprint
// is recorded, therefore has a ctime above H-g, and an entry with a ctime
// at or below H-Margin differs from it whenever Margin >= g. (Cutting at
// the save's time instead would keep an entry hashed more than Margin
// before the save, whose file was changed in the tick of its hash.) 2 s
// covers every local filesystem certform is likely to meet; a network
// filesystem whose server clock runs more than Margin behind this
// machine's falls outside it.
const Margin = 2 * time.Second

// Load reads the index at path. It always returns a usable index: an
// empty one when the file does not exist (with a nil error) or cannot be
// used, in which case the error says why (for a debug log: a damaged
// index only costs one run hashing every file).
func Load(path string) (*Index, error) {
	x := New()
	data, err := limits.ReadOwnFile(path, limits.FileIndex)
	if errors.Is(err, fs.ErrNotExist) {
		return x, nil
	}
	if err != nil {
		return x, fmt.Errorf("reading the file index: %w", err)
	}
	f, err := decode(data)
	if err != nil {
		return x, fmt.Errorf("ignoring the file index %s: %w", path, err)
	}
	x.entries = make(map[string]*entry, len(f.Entries))
	slab := make([]entry, len(f.Entries)) // one allocation, not one per entry
	for i, e := range f.Entries {
		slab[i].fp = Fingerprint{Dev: e.Dev, Ino: e.Ino, Size: e.Size, Mtime: e.Mtime, Ctime: e.Ctime, Mode: e.Mode}
		slab[i].sha = e.SHA256
		x.entries[e.Path] = &slab[i]
	}
	return x, nil
}

// Save writes the index to path, atomically and 0600, when it changed
// since it was loaded or last saved; now is the wall time of the save.
// Entries whose mtime or ctime is later than Margin before the time this
// run hashed them (or before now) are left out.
// Entries this run did not use (other workspaces' files, or files no
// longer configured) are kept while the index stays within
// limits.FileIndex, and dropped first when it would not. A nil index
// saves nothing. Save creates path's directory if it is missing; a
// caller that must not create it checks first.
func (x *Index) Save(path string, now time.Time) error {
	if x == nil {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.dirty {
		return nil
	}
	f := x.wire(now.Add(-Margin).UnixNano())
	data := f.encode()
	if len(data) > limits.FileIndex {
		return fmt.Errorf("the file index would be %d bytes, more than the limit of %d: %w", len(data), limits.FileIndex, limits.ErrTooLarge)
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("saving the file index: %w", err)
	}
	x.dirty = false
	return nil
}

// wire is the version 1 form of the entries to save: none changed after
// cut (nanoseconds), the used ones, then the others while they fit.
func (x *Index) wire(cut int64) fileV1 {
	var used, unused []entryV1
	size := 0
	for path, e := range x.entries {
		c := cut
		if e.at != 0 {
			c = min(c, e.at-int64(Margin))
		}
		if e.fp.Mtime > c || e.fp.Ctime > c {
			continue // racily clean: a change since its hash could have kept its ctime
		}
		w := entryV1{Path: path, SHA256: e.sha, Mode: e.fp.Mode, Dev: e.fp.Dev, Ino: e.fp.Ino,
			Size: e.fp.Size, Mtime: e.fp.Mtime, Ctime: e.fp.Ctime}
		if e.used.Load() {
			used = append(used, w)
			size += lineBound(path)
		} else {
			unused = append(unused, w)
		}
	}
	slices.SortFunc(unused, byPath)
	for _, w := range unused {
		if size += lineBound(w.Path); size > limits.FileIndex {
			break
		}
		used = append(used, w)
	}
	slices.SortFunc(used, byPath)
	return fileV1{Entries: used}
}

// lineBound is at least the length of path's entry line.
func lineBound(path string) int { return len(path) + 64 + 7*21 }

func byPath(a, b entryV1) int { return strings.Compare(a.Path, b.Path) }

// SavableAfter is the wall time after which files hashed now can be
// saved: Margin past the latest ctime of paths (the racy-timestamp rule).
// Tests of what a next run answers from a saved index wait for it.
func SavableAfter(paths ...string) (time.Time, error) {
	var latest time.Time
	for _, p := range paths {
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			return time.Time{}, &fs.PathError{Op: "stat", Path: p, Err: err}
		}
		if ctime := time.Unix(st.Ctim.Unix()); ctime.After(latest) {
			latest = ctime
		}
	}
	return latest.Add(Margin + 10*time.Millisecond), nil
}
