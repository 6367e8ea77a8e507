package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/state/backend"
	kubebackend "github.com/certform/certform/state/backend/kubernetes"
	"github.com/certform/certform/state/backend/local"
)

// backendRecordFile, in the data directory, remembers which backend the
// state was last used with, so that a changed backend block is noticed
// instead of silently starting an empty state elsewhere. It names the
// backend block, not a workspace: every workspace uses the same block.
const backendRecordFile = "backend.json"

type backendRecord struct {
	Type      string `json:"type"`
	Path      string `json:"path,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
}

func recordOf(b *config.Backend) backendRecord {
	if b == nil || b.Type == "local" {
		path := local.DefaultPath
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
// records it when there is no record yet and write is set (a read-only
// command leaves that to the first one that writes).
func (w *workspace) checkBackend(write bool) (recorded *backendRecord, err error) {
	want := recordOf(w.cfg.Backend)
	path := filepath.Join(w.dataDir, backendRecordFile)
	data, err := limits.ReadFile(path, limits.SmallFile)
	if errors.Is(err, os.ErrNotExist) {
		if !write {
			return nil, nil
		}
		return nil, w.writeBackendRecord(want)
	}
	if err != nil {
		return nil, err
	}
	var got backendRecord
	if err := json.Unmarshal(data, &got); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if got != want {
		// Never suggest --migrate-state alone: when the backend changed
		// because it now names another environment, copying the state
		// across makes that environment adopt this one's keys.
		return &got, withHint(fmt.Errorf("the backend changed from %s to %s", got, want),
			"restore the backend block; to keep environments apart, use one backend block and workspaces "+
				"(certform workspace new NAME, or "+WorkspaceEnv+"); only if you moved this same state on purpose, "+
				"run certform init --migrate-state (it copies workspace "+w.ws+"'s state)")
	}
	return nil, nil
}

func (w *workspace) writeBackendRecord(r backendRecord) error {
	data, _ := json.MarshalIndent(r, "", "  ")
	if err := os.MkdirAll(w.dataDir, 0o755); err != nil {
		return dataDirError(err)
	}
	if err := atomicfile.Write(filepath.Join(w.dataDir, backendRecordFile), append(data, '\n'), 0o644); err != nil {
		return dataDirError(err)
	}
	return nil
}

// InitOptions are init's flags.
type InitOptions struct {
	MigrateState bool
}

var cmdInit = &command{
	name: "init", summary: "check the state backend; --migrate-state copies state to a new one",
	desc: `Checks the state backend the configuration names and records it in the data directory. When
the backend block changed since the state was last used, every other command refuses to run;
init --migrate-state copies the state from the backend last used to the new one (docs/state.md).
In a git work tree, it prints the .gitignore lines that keep private keys out of commits.`,
	examples: []string{
		"certform init",
		"certform init --migrate-state   # after moving the state to another backend on purpose",
	},
	globals: gAll,
	new:     func() Options { return &InitOptions{} },
}

// AddFlags adds init's flags.
func (o *InitOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.MigrateState, "migrate-state", false, "copy the state from the previous backend to the configured one")
}

// Complete refuses arguments: init takes none.
func (o *InitOptions) Complete(_ *GlobalOptions, args []string) error { return noArgs("init", args) }

// Validate has nothing to check.
func (o *InitOptions) Validate() error { return nil }

// Run checks the backend, and copies the state from the backend last
// used to a newly configured one.
func (o *InitOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	w, err := loadWorkspaceWith(g, s, openOptions{})
	if err == nil {
		err = w.setBackend()
	}
	if err != nil {
		return exitError, err
	}
	old, err := w.checkBackend(true)
	if old == nil && err == nil {
		fmt.Fprintf(s.Out, "certform is set up: state in %s (workspace %s).\n", w.backend.Describe(), w.ws)
		w.suggestGitignore(s.Out)
		return exitOK, nil
	}
	if !o.MigrateState {
		return exitError, err
	}
	from, err := w.backendFor(*old)
	if err != nil {
		return exitError, err
	}
	info := backend.NewLockInfo("init -migrate-state")
	for _, b := range []backend.Backend{from, w.backend} {
		if _, err := b.Lock(ctx, info, 0); err != nil {
			return exitError, err
		}
		defer b.Unlock(context.WithoutCancel(ctx))
	}
	src, err := from.Load(ctx)
	if err != nil {
		return exitError, err
	}
	dst, err := w.backend.Load(ctx)
	if err != nil {
		return exitError, err
	}
	if (len(dst.Certificates) > 0 || len(dst.Bundles) > 0) && dst.Lineage != src.Lineage {
		return exitError, withHint(fmt.Errorf("%s already holds another state (lineage %s, not %s)", w.backend.Describe(), dst.Lineage, src.Lineage),
			"point the backend block at an empty location, or remove that state first")
	}
	src.Serial = dst.Serial // the destination's serial moves on from its own
	if err := w.backend.Persist(ctx, src); err != nil {
		return exitError, err
	}
	if err := w.writeBackendRecord(recordOf(w.cfg.Backend)); err != nil {
		return exitError, err
	}
	fmt.Fprintf(s.Out, "Copied the state (lineage %s, %d certificate(s)) from %s to %s. The old copy was left in place.\n",
		src.Lineage, len(src.Certificates), from.Describe(), w.backend.Describe())
	return exitOK, nil
}

// backendFor builds the backend a record describes, for the selected
// workspace: a migration copies one workspace's state to the same
// workspace of the new backend, never to another.
func (w *workspace) backendFor(r backendRecord) (backend.Backend, error) {
	if r.Type == "local" {
		return &local.Backend{Path: localStatePath(&config.Backend{Type: "local", Path: r.Path}, w.ws), Dir: w.cfg.Dir}, nil
	}
	cs, err := w.clientset()
	if err != nil {
		return nil, err
	}
	return &kubebackend.Backend{Client: cs, Namespace: r.Namespace, Name: secretName(r.Name, w.ws)}, nil
}
