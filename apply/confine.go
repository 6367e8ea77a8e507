package apply

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// confinement says which files certform may delete. State names the files
// an earlier run wrote, but state is outside input (with the kubernetes
// backend, whoever can write its Secret writes it): a path in state is
// deleted only when the configuration accounts for it, that is when it is
// inside the configuration directory, or when the current configuration
// still names it as an output of the same address. Even then certform's
// own files, the configuration files, and a path that another address's
// record also claims are left alone.
type confinement struct {
	wd      string              // the configuration directory, absolute: relative paths are in it
	dir     string              // the configuration directory, symbolic links resolved
	own     []string            // certform's own files and directories, resolved
	outputs map[string][]string // address → its configured outputs, absolute
	holders map[string][]string // absolute path → addresses whose prior record holds it
	// outputDirs are the directories (resolved) the configuration writes
	// outputs to, for any address.
	outputDirs map[string]bool
}

func newConfinement(cfg *config.Config, prior *state.State, keysDir string) (*confinement, error) {
	wd := cfg.Dir.Abs(".")
	dir, err := filepath.EvalSymlinks(wd)
	if err != nil {
		return nil, fmt.Errorf("finding the configuration directory: %w", err)
	}
	cf := &confinement{wd: wd, dir: dir, outputs: map[string][]string{}, holders: map[string][]string{}, outputDirs: map[string]bool{}}
	// The working directory once, and each directory resolved once: the
	// outputs of thousands of certificates share a few directories.
	resolved := map[string]string{}
	resolve := func(p string) string {
		abs := absFrom(wd, p)
		d := filepath.Dir(abs)
		real, ok := resolved[d]
		if !ok {
			real = d // as resolveParent: unresolved when it cannot be
			if r, err := filepath.EvalSymlinks(d); err == nil {
				real = r
			}
			resolved[d] = real
		}
		return filepath.Join(real, filepath.Base(abs))
	}
	for _, p := range append(cfg.OwnFiles(), keysDir) {
		cf.own = append(cf.own, resolve(p))
	}
	for _, c := range cfg.Certificates {
		for _, out := range plan.Outputs(c) {
			cf.outputs[c.Addr] = append(cf.outputs[c.Addr], absFrom(wd, out.Path))
			cf.outputDirs[filepath.Dir(resolve(out.Path))] = true
		}
	}
	for addr, rec := range prior.Certificates {
		for p := range rec.Files {
			abs := absFrom(wd, p)
			cf.holders[abs] = append(cf.holders[abs], addr)
		}
	}
	return cf, nil
}

// absFrom is p, relative to wd, as a cleaned absolute path, so that two
// spellings of one path compare equal.
func absFrom(wd, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(wd, p)
}

// check returns why addr may not delete path, or nil.
func (cf *confinement) check(addr, path string) error {
	abs, real := absFrom(cf.wd, path), cf.resolveParent(path)
	for _, other := range cf.holders[abs] {
		if other != addr {
			return fmt.Errorf("left %s in place: state records it for %s too", path, other)
		}
	}
	for _, own := range cf.own {
		if real == own || strings.HasPrefix(real, own+string(filepath.Separator)) {
			return fmt.Errorf("left %s in place: it is certform's own %s, not an output", path, own)
		}
	}
	for _, out := range cf.outputs[addr] {
		if abs == out {
			return nil // the configuration names it for this very address
		}
	}
	// A directory the configuration still writes outputs to is accounted
	// for too: a configuration mounted read-only (a CronJob) keeps its
	// outputs elsewhere.
	if !strings.HasPrefix(real, cf.dir+string(filepath.Separator)) && !cf.outputDirs[filepath.Dir(real)] {
		return fmt.Errorf("left %s in place: it is outside the configuration directory %s and every directory the configuration writes to, and no longer configured; certform deletes only files it can account for, delete it yourself if it is yours", path, cf.dir)
	}
	if filepath.Dir(real) == cf.dir && strings.HasSuffix(real, config.FileSuffix) {
		return fmt.Errorf("left %s in place: it is a configuration file", path)
	}
	return nil
}

// resolveParent is path as an absolute path whose directory has its
// symbolic links resolved; the last element is kept, since removing a
// link removes the link, not its target.
func (cf *confinement) resolveParent(path string) string {
	abs := absFrom(cf.wd, path)
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return abs
	}
	return filepath.Join(dir, filepath.Base(abs))
}

// removeIfUnchanged deletes a file addr's record names, when confinement
// allows it and it still holds what certform wrote.
func (r *runner) removeIfUnchanged(addr, path string, f state.File) error {
	if err := r.confined.check(addr, path); err != nil {
		return err
	}
	obs, err := digest.OfFile(r.dir.Path(path))
	if err != nil || !obs.Exists {
		return err
	}
	if obs.SHA256 != f.SHA256 {
		return fmt.Errorf("left %s in place: it was modified outside certform", path)
	}
	if err := atomicfile.Remove(r.dir.Path(path)); err != nil {
		return err
	}
	r.confined.pruneEmptyDirs(path)
	return nil
}

// pruneEmptyDirs removes the directories that removing path left empty,
// up to the configuration directory: an output directory is not left
// behind empty. Only empty directories inside the configuration directory
// go (os.Remove refuses any other), never certform's own, and apply
// creates them again when it writes there.
func (cf *confinement) pruneEmptyDirs(path string) {
	for d := filepath.Dir(cf.resolveParent(path)); strings.HasPrefix(d, cf.dir+string(filepath.Separator)); d = filepath.Dir(d) {
		for _, own := range cf.own {
			if d == own || strings.HasPrefix(own, d+string(filepath.Separator)) {
				return
			}
		}
		if os.Remove(d) != nil {
			return // not empty, or not ours to remove
		}
	}
}
