package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/certform/certform/internal/fault"
)

// DirMode is the mode of parent directories that Write creates.
const DirMode fs.FileMode = 0o755

// File is one file for WriteAll.
type File struct {
	Path string
	Data []byte
	Mode fs.FileMode
	// From, when set, names a complete, synced file holding Data to move
	// to Path instead of writing Data; when it is gone or on another
	// filesystem, Data is written. Its old directory is not synced: after
	// a crash it may still list the file, and the caller must treat such a
	// copy as stale.
	From string
}

// Write replaces path with data, atomically, with exactly the given mode.
// Missing parent directories are created with DirMode.
func Write(path string, data []byte, mode fs.FileMode) error {
	return WriteAll(File{Path: path, Data: data, Mode: mode})
}

// WriteAll writes several files: each is complete and synced before any is
// renamed into place, and each directory involved is synced once after the
// renames, which costs far fewer syncs than one Write per file. If it
// fails before the renames, no target was touched.
func WriteAll(files ...File) error {
	dirs, err := WriteAllUnsynced(files...)
	if err != nil {
		return err
	}
	return SyncDirs(dirs)
}

// SyncDirs fsyncs each directory, making renames into it durable.
func SyncDirs(dirs []string) error {
	for _, dir := range dirs {
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	return nil
}

// WriteAllUnsynced is WriteAll without the final directory syncs: it
// returns the directories whose entries changed, for a caller that syncs
// them once for many writes (SyncDirs) before relying on them.
func WriteAllUnsynced(files ...File) (dirs []string, err error) {
	srcs := make([]string, len(files)) // what is renamed onto each Path
	var tmps []string
	defer func() {
		if err != nil {
			for _, t := range tmps {
				os.Remove(t)
			}
		}
	}()
	for i, f := range files {
		if f.From != "" {
			if err := os.MkdirAll(filepath.Dir(f.Path), DirMode); err != nil {
				return nil, fmt.Errorf("creating directory for %s: %w", f.Path, err)
			}
			err := os.Chmod(f.From, f.Mode.Perm())
			if err == nil {
				srcs[i] = f.From
				continue
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("writing %s: %w", f.Path, err)
			}
			// From is gone: write Data instead.
		}
		tmp, err := writeTemp(f)
		if err != nil {
			return nil, err
		}
		srcs[i], tmps = tmp, append(tmps, tmp)
	}
	dirSet := map[string]bool{}
	for i, f := range files {
		err := rename(srcs[i], f.Path)
		if errors.Is(err, syscall.EXDEV) { // From is on another filesystem: write Data instead
			var tmp string
			if tmp, err = writeTemp(f); err == nil {
				tmps = append(tmps, tmp)
				err = rename(tmp, f.Path)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("writing %s: %w", f.Path, err)
		}
		if i == 0 && len(files) > 1 {
			fault.Point(fault.AfterFirstWrite)
		}
		dirSet[filepath.Dir(f.Path)] = true
	}
	for dir := range dirSet {
		dirs = append(dirs, dir)
	}
	return dirs, nil
}

// rename is os.Rename; tests replace it to fail as another filesystem
// would.
var rename = os.Rename

// writeTemp writes f's content to a synced temporary file beside f.Path,
// with f.Mode set before the first byte is written.
func writeTemp(f File) (string, error) {
	dir := filepath.Dir(f.Path)
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return "", fmt.Errorf("creating directory for %s: %w", f.Path, err)
	}
	t, err := os.CreateTemp(dir, tempPrefix(filepath.Base(f.Path))+"*")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", f.Path, err)
	}
	// CreateTemp makes the file 0600; set the final mode before any content.
	err = t.Chmod(f.Mode.Perm())
	if err == nil {
		_, err = t.Write(f.Data)
	}
	if err == nil {
		err = t.Sync()
	}
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(t.Name())
		return "", fmt.Errorf("writing %s: %w", f.Path, err)
	}
	return t.Name(), nil
}

// Remove deletes path if it exists and fsyncs its directory.
func Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// syncDir fsyncs dir. Concurrent callers share fsyncs: each returns after
// one that began after it was called, and one fsync serves everyone who
// called while the previous one ran, so a hundred files renamed into one
// directory at once cost a few directory syncs rather than a hundred.
// A caller learns of every failed fsync that began after it was called,
// even when a later one succeeded before it woke: after a failed fsync,
// a later success does not prove that the earlier entries reached the disk.
func syncDir(dir string) error {
	g := dirSyncer(dir)
	g.mu.Lock()
	defer g.mu.Unlock()
	need := g.started + 1 // the first sync to begin after this call
	for g.done < need {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		seq := g.started
		g.mu.Unlock()
		err := fsyncDirHook(dir)
		g.mu.Lock()
		g.finish(seq, err)
	}
	return g.result(need)
}

// dirSync is the shared fsync state of one directory.
type dirSync struct {
	mu            sync.Mutex
	cond          sync.Cond
	running       bool
	started, done uint64 // sequence numbers of syncs begun and finished
	failed        uint64 // sequence number of the last sync that failed, 0 if none
	err           error  // of that sync
}

// finish records that sync number seq ended with err; g.mu is held.
func (g *dirSync) finish(seq uint64, err error) {
	g.running, g.done = false, seq
	if err != nil {
		g.failed, g.err = seq, err
	}
	g.cond.Broadcast()
}

// result is the outcome for a caller served by the syncs numbered need and
// later: the error of the last of them that failed, if any did.
func (g *dirSync) result(need uint64) error {
	if g.failed >= need {
		return g.err
	}
	return nil
}

var dirSyncs sync.Map // cleaned directory path → *dirSync

func dirSyncer(dir string) *dirSync {
	dir = filepath.Clean(dir)
	if g, ok := dirSyncs.Load(dir); ok {
		return g.(*dirSync)
	}
	g := &dirSync{}
	g.cond.L = &g.mu
	actual, _ := dirSyncs.LoadOrStore(dir, g)
	return actual.(*dirSync)
}

// fsyncDirHook is fsyncDir; tests wrap it to watch the syncs.
var fsyncDirHook = fsyncDir

func fsyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// tempPrefix begins the name of a temporary file for a file named base;
// os.CreateTemp ends it with a decimal number.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// IsTempOf says whether name is the name of a temporary file that Write
// makes for a file named base, for cleaning up after a killed process.
func IsTempOf(name, base string) bool {
	rest, ok := strings.CutPrefix(name, tempPrefix(base))
	return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
}
