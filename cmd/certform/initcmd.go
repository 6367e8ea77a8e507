package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/state"
)

// backendRecordPath remembers, per configuration directory, which backend
// the state was last used with, so that a changed backend block is noticed
// instead of silently starting an empty state elsewhere.
const backendRecordPath = ".certform/backend.json"

type backendRecord struct {
	Type      string `json:"type"`
	Path      string `json:"path,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
}

func recordOf(b *config.Backend) backendRecord {
	if b == nil || b.Type == "local" {
		path := state.DefaultPath
		if b != nil && b.Path != "" {
			path = b.Path
		}
		return backendRecord{Type: "local", Path: filepath.Clean(path)}
	}
	return backendRecord{Type: b.Type, Namespace: b.Namespace, Name: b.Name}
}

func (r backendRecord) String() string {
	if r.Type == "local" {
		return "local " + r.Path
	}
	return fmt.Sprintf("kubernetes %s/%s", r.Namespace, r.Name)
}

// checkBackend compares the configured backend with the recorded one; it
// records it when there is no record yet.
func (w *workspace) checkBackend() (recorded *backendRecord, err error) {
	want := recordOf(w.cfg.Backend)
	data, err := os.ReadFile(backendRecordPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, writeBackendRecord(want)
	}
	if err != nil {
		return nil, err
	}
	var got backendRecord
	if err := json.Unmarshal(data, &got); err != nil {
		return nil, fmt.Errorf("reading %s: %w", backendRecordPath, err)
	}
	if got != want {
		return &got, withHint(fmt.Errorf("the backend changed from %s to %s", got, want),
			"run certform init --migrate-state to copy the state across, or restore the backend block")
	}
	return nil, nil
}

func writeBackendRecord(r backendRecord) error {
	data, _ := json.MarshalIndent(r, "", "  ")
	return atomicfile.Write(backendRecordPath, append(data, '\n'), 0o644)
}

// init [--migrate-state]: check the backend, and copy the state from the
// backend last used to a newly configured one.
func runInit(ctx context.Context, g *GlobalOptions, args []string, s Streams) (int, error) {
	fs := newFlagSet("init", g, s)
	migrate := fs.Bool("migrate-state", false, "copy the state from the previous backend to the configured one")
	if err := fs.Parse(args); err != nil {
		return exitError, err
	}
	w, err := loadWorkspace(g, s)
	if err == nil {
		err = w.setBackend()
	}
	if err != nil {
		return exitError, err
	}
	old, err := w.checkBackend()
	if old == nil && err == nil {
		fmt.Fprintf(s.Out, "certform is set up: state in %s.\n", w.backend.Describe())
		return exitOK, nil
	}
	if !*migrate {
		return exitError, err
	}
	from, err := w.backendFor(*old)
	if err != nil {
		return exitError, err
	}
	info := state.NewLockInfo("init -migrate-state")
	for _, b := range []state.Backend{from, w.backend} {
		if err := b.Lock(ctx, info, 0); err != nil {
			return exitError, err
		}
		defer b.Unlock()
	}
	src, err := from.Load()
	if err != nil {
		return exitError, err
	}
	dst, err := w.backend.Load()
	if err != nil {
		return exitError, err
	}
	if (len(dst.Certificates) > 0 || len(dst.Bundles) > 0) && dst.Lineage != src.Lineage {
		return exitError, withHint(fmt.Errorf("%s already holds another state (lineage %s, not %s)", w.backend.Describe(), dst.Lineage, src.Lineage),
			"point the backend block at an empty location, or remove that state first")
	}
	src.Serial = dst.Serial // the destination's serial moves on from its own
	if err := w.backend.Persist(src); err != nil {
		return exitError, err
	}
	if err := writeBackendRecord(recordOf(w.cfg.Backend)); err != nil {
		return exitError, err
	}
	fmt.Fprintf(s.Out, "Copied the state (lineage %s, %d certificate(s)) from %s to %s. The old copy was left in place.\n",
		src.Lineage, len(src.Certificates), from.Describe(), w.backend.Describe())
	return exitOK, nil
}

// backendFor builds the backend a record describes.
func (w *workspace) backendFor(r backendRecord) (state.Backend, error) {
	if r.Type == "local" {
		return &state.Local{Path: r.Path}, nil
	}
	cs, err := w.clientset()
	if err != nil {
		return nil, err
	}
	return &state.Kubernetes{Client: cs, Namespace: r.Namespace, Name: r.Name}, nil
}
