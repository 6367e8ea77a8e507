package workdir

import (
	"fmt"
	"os"
	"path/filepath"
)

// Dir is the directory relative paths are taken from: an absolute, clean
// path, or "" for the process's working directory (what a caller that
// sets no Dir gets, as before Dir existed).
type Dir string

// At is the Dir of path dir, taken from the process's working directory
// when relative: certform's --chdir. It is dir's real path, symbolic links
// resolved, as the working directory was after a change to dir (state
// records it, in FilesOrigin). An empty dir, or ".", is the working
// directory's real path. Both are resolved from the real working
// directory, not $PWD's spelling of it, so that a .. in dir or in a path
// later joined to the Dir goes where the kernel takes it. It fails when
// dir is not a directory, saying so.
func At(dir string) (Dir, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the configuration directory %s: %w", dir, err)
	}
	if real, rerr := filepath.EvalSymlinks(wd); rerr == nil {
		wd = real
	}
	abs := wd
	if dir != "" {
		p := dir
		if !filepath.IsAbs(p) {
			// not filepath.Join, which would take dir's .. lexically
			p = wd + string(filepath.Separator) + dir
		}
		abs = filepath.Clean(p)
		if real, rerr := filepath.EvalSymlinks(p); rerr == nil {
			abs = real
		}
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("opening the configuration directory: %w", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("opening the configuration directory: %s is not a directory", dir)
	}
	return Dir(abs), nil
}

// Path is p taken from d: p itself when it is absolute, empty (no path),
// or when d is the working directory; else d joined with p. Use it where
// a file is touched, and keep showing and recording p.
func (d Dir) Path(p string) string {
	if d == "" || p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(string(d), p)
}

// Abs is p taken from d as a clean absolute path, so that two spellings of
// one file compare equal. It asks for the working directory only when d is
// the working directory and p is relative. The empty path is d itself.
func (d Dir) Abs(p string) string {
	if p == "" {
		p = "."
	}
	p = d.Path(p)
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}
