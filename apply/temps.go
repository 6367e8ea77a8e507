package apply

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// RemoveTemps removes the temporary files that a killed run left beside
// the outputs (internal/atomicfile names them .BASE.tmp-DIGITS): with the
// sec1 and pkcs1 encodings they are complete copies of private keys. Only
// that pattern is touched, only for the outputs the configuration names
// and the files the prior state records that certform may delete (see
// confinement), so another configuration's files in a shared directory
// are left alone. The caller must hold the state lock: every run that
// writes these outputs holds it while its temporary files exist, so none
// of them is being written. It returns the files removed.
func RemoveTemps(cfg *config.Config, prior *state.State, keysDir string) ([]string, error) {
	cf, err := newConfinement(cfg, prior, keysDir)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, c := range cfg.Certificates {
		for _, out := range plan.Outputs(c) {
			paths = append(paths, out.Path)
		}
	}
	for addr, rec := range prior.Certificates {
		for p := range rec.Files {
			if cf.check(addr, p) == nil {
				paths = append(paths, p)
			}
		}
	}
	bases := map[string]map[string]bool{} // directory → the base names of outputs in it
	for _, p := range paths {
		dir, base := filepath.Split(filepath.Clean(p))
		if bases[dir] == nil {
			bases[dir] = map[string]bool{}
		}
		bases[dir][base] = true
	}
	var removed []string
	var errs []error
	for dir, names := range bases {
		r, err := removeTempsIn(cfg.Dir, dir, names)
		removed = append(removed, r...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	slices.Sort(removed)
	return removed, errors.Join(errs...)
}

// removeTempsIn removes the regular files of dir (relative: in base) named
// as temporary files of the given base names, and names them as in dir.
func removeTempsIn(base workdir.Dir, dir string, bases map[string]bool) ([]string, error) {
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(base.Path(dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking for temporary files of an interrupted run: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !bases[tempBase(e.Name())] {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Remove(base.Path(p)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing temporary file of an interrupted run: %w", err))
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}

// tempBase is the base name whose temporary file name is (see
// atomicfile.IsTempOf), or "" when it is none's. The digits that end a
// temporary name hold no ".tmp-", so only its last one can split it.
func tempBase(name string) string {
	i := strings.LastIndex(name, ".tmp-")
	if i < 1 || name[0] != '.' {
		return ""
	}
	if base := name[1:i]; atomicfile.IsTempOf(name, base) {
		return base
	}
	return ""
}
