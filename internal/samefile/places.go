package samefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/certform/certform/internal/workdir"
)

// locator resolves paths as locate does, relative ones from the
// configuration directory, and remembers every directory it resolved: the outputs of thousands of
// certificates mostly share a few directories, so each costs one lstat
// instead of a walk of its every component.
type locator struct {
	cwd  string // the configuration directory, absolute
	mu   sync.RWMutex
	dirs map[string]place // absolute directory → its place
	seen Seen             // told of the regular files found, if not nil
}

func newLocator(dir workdir.Dir) *locator {
	return &locator{cwd: dir.Abs("."), dirs: map[string]place{}}
}

// locate is locate(path) from the remembered directories. What they
// cannot answer (a symbolic link as the last component, an error) goes to
// locate itself.
func (l *locator) locate(path string) (place, error) {
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(l.cwd, abs)
	}
	dir, base := filepath.Dir(abs), filepath.Base(abs)
	if dir == abs {
		return locate(abs)
	}
	l.mu.RLock()
	at, ok := l.dirs[dir]
	l.mu.RUnlock()
	if !ok {
		var err error
		if at, err = locate(dir); err != nil {
			return place{}, err
		}
		l.mu.Lock()
		l.dirs[dir] = at
		l.mu.Unlock()
	}
	if at.rest != "" {
		// The directory does not exist, so neither does the file: it is
		// where the directory would be, one step further down.
		return place{real: filepath.Join(at.real, base), dev: at.dev, ino: at.ino, rest: filepath.Join(at.rest, base)}, nil
	}
	fi, err := os.Lstat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return place{real: filepath.Join(at.real, base), dev: at.dev, ino: at.ino, rest: base}, nil
	case err != nil || fi.Mode()&fs.ModeSymlink != 0:
		return locate(abs)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return locate(abs)
	}
	if l.seen != nil && fi.Mode().IsRegular() && abs == filepath.Clean(abs) {
		// Only a clean path: the kernel takes a .. after a symbolic link
		// elsewhere than filepath.Clean does, so an unclean one's lstat
		// may be of another file than the clean path names.
		l.seen(abs, st)
	}
	return place{real: filepath.Join(at.real, base), dev: uint64(st.Dev), ino: st.Ino}, nil
}

// parallelFrom is the number of paths from which locateAll uses several
// goroutines (a variable for tests).
var parallelFrom = 256

// locateAll locates each path, on a few goroutines when there are many:
// each is an lstat, a system call of some microseconds, and a plan of
// 10,000 certificates has 20,000 outputs.
func (l *locator) locateAll(paths []string) ([]place, []error) {
	ats, errs := make([]place, len(paths)), make([]error, len(paths))
	workers := min(runtime.GOMAXPROCS(0), 4)
	if len(paths) < parallelFrom {
		workers = 1
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(paths); i = int(next.Add(1) - 1) {
				ats[i], errs[i] = l.locate(paths[i])
			}
		})
	}
	wg.Wait()
	return ats, errs
}

// places indexes outputs by each of the two ways sameFile matches a place,
// so that finding an output's earlier twins is two lookups, not a scan.
type places struct {
	all    []output
	byReal map[string][]int
	byNode map[node][]int
}

// node is a place's file: the device and inode of its deepest existing
// part, and the rest below.
type node struct {
	dev, ino uint64
	rest     string
}

// newPlaces makes an index for about n outputs.
func newPlaces(n int) *places {
	return &places{all: make([]output, 0, n), byReal: make(map[string][]int, n), byNode: make(map[node][]int, n)}
}

func (p *places) add(o output) {
	i := len(p.all)
	p.all = append(p.all, o)
	p.byReal[o.at.real] = append(p.byReal[o.at.real], i)
	n := node{o.at.dev, o.at.ino, o.at.rest}
	p.byNode[n] = append(p.byNode[n], i)
}

// same returns the outputs added so far whose place is at's file, in the
// order they were added.
func (p *places) same(at place) []output {
	idx := append(slices.Clone(p.byReal[at.real]), p.byNode[node{at.dev, at.ino, at.rest}]...)
	if len(idx) == 0 {
		return nil
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	out := make([]output, len(idx))
	for i, j := range idx {
		out[i] = p.all[j]
	}
	return out
}
