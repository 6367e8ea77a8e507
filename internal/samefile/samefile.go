package samefile

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/certform/certform/config"
)

// place is where a path leads on this machine: its real path with every
// symbolic link resolved, and the device and inode of the deepest part of
// it that exists (the file itself when it exists) with the rest below.
type place struct {
	real     string
	dev, ino uint64
	rest     string
}

// sameFile says whether two places are one file.
func (a place) sameFile(b place) bool {
	return a.real == b.real || a.dev == b.dev && a.ino == b.ino && a.rest == b.rest
}

// locate resolves path, relative to the working directory, as the
// filesystem does when a file is written there.
func locate(path string) (place, error) {
	cur, err := filepath.Abs(path)
	if err != nil {
		return place{}, fmt.Errorf("resolving %s: %w", path, err)
	}
	var rest []string
	for {
		real, err := filepath.EvalSymlinks(cur)
		if err == nil {
			var st syscall.Stat_t
			if err := syscall.Stat(real, &st); err != nil {
				return place{}, fmt.Errorf("resolving %s: %w", path, err)
			}
			tail := filepath.Join(rest...)
			return place{real: filepath.Join(real, tail), dev: uint64(st.Dev), ino: st.Ino, rest: tail}, nil
		}
		parent := filepath.Dir(cur)
		if !errors.Is(err, fs.ErrNotExist) || parent == cur {
			return place{}, fmt.Errorf("resolving %s: %w", path, err)
		}
		rest = append([]string{filepath.Base(cur)}, rest...)
		cur = parent
	}
}

// output is one configured output file, for messages.
type output struct {
	addr, attr, path string
	at               place
}

// Check looks at the filesystem for configured outputs that reach one
// file by different paths (a symbolic link to a directory, a bind mount,
// hard links) or reach one of certform's own files: the state file and
// the files beside it, and the data directory holding keysDir. Lexically
// equal paths are configuration errors already (config.Load). It runs
// before anything is submitted, since writing one such output would
// replace another, a key among them.
// Relative paths are taken from cfg.Dir, the configuration directory.
func Check(cfg *config.Config, keysDir string) error {
	return CheckSeeing(cfg, keysDir, nil)
}

// Seen is told of each configured output that Check found to be a regular
// file: its clean absolute path and what lstat said of it. A refresh that
// follows can take that instead of a stat of its own (fileindex.Index.Seen).
type Seen func(path string, st *syscall.Stat_t)

// CheckSeeing is Check telling noted, when not nil, of every output that is
// a regular file (not a symbolic link) as it finds it, from several
// goroutines at once.
func CheckSeeing(cfg *config.Config, keysDir string, noted Seen) error {
	loc := newLocator(cfg.Dir)
	loc.seen = noted
	var own []output
	for _, p := range append(cfg.OwnFiles(), keysDir) {
		at, err := loc.locate(p)
		if err != nil {
			return err
		}
		own = append(own, output{path: p, at: at})
	}
	outs := make([]output, 0, 2*len(cfg.Certificates))
	paths := make([]string, 0, 2*len(cfg.Certificates))
	for _, c := range cfg.Certificates {
		byAttr := c.OutputPaths()
		attrs := make([]string, 0, len(byAttr))
		for attr := range byAttr {
			attrs = append(attrs, attr)
		}
		sort.Strings(attrs)
		for _, attr := range attrs {
			outs = append(outs, output{addr: c.Addr, attr: attr, path: byAttr[attr]})
			paths = append(paths, byAttr[attr])
		}
	}
	ats, locErrs := loc.locateAll(paths)
	seen := newPlaces(len(outs))
	var errs []error
	for i, o := range outs {
		if locErrs[i] != nil {
			return locErrs[i] // the first in order, as when they were located one by one
		}
		o.at = ats[i]
		errs = append(errs, o.conflicts(seen.same(o.at), own)...)
		seen.add(o)
	}
	return errors.Join(errs...)
}

// conflicts reports o reaching the file of an earlier output (same: those
// that sameFile says are o's file) or one of certform's own files.
func (o output) conflicts(same, own []output) []error {
	var errs []error
	for _, f := range own {
		inside := len(o.at.real) > len(f.at.real) && o.at.real[len(f.at.real)] == filepath.Separator && strings.HasPrefix(o.at.real, f.at.real)
		if o.at.sameFile(f.at) || inside {
			errs = append(errs, fmt.Errorf("%s %s %s leads to %s, which is certform's own %s; write it somewhere else",
				o.addr, o.attr, o.path, o.at.real, f.path))
		}
	}
	for _, e := range same {
		errs = append(errs, fmt.Errorf("%s %s %s and %s %s %s are one file (%s), through a symbolic link, mount or hard link; give each output its own file",
			o.addr, o.attr, o.path, e.addr, e.attr, e.path, o.at.real))
	}
	return errs
}
