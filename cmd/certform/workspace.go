package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/fileindex"
	"github.com/certform/certform/internal/gctune"
	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend"
	kubebackend "github.com/certform/certform/state/backend/kubernetes"
	"github.com/certform/certform/state/backend/local"
	"github.com/certform/certform/state/statefile"
)

// workspace is a loaded configuration directory with its state backend.
// (Not a certform workspace: that is ws, the name of the state it uses.)
type workspace struct {
	cfg     *config.Config
	files   map[string]*hcl.File
	backend backend.Backend
	keys    keystore.Store
	kube    kube.Options
	cs      kubernetes.Interface // created on first use
	// conns are the clusters of a fleet reached in this run, by name
	// (fleet.go); fleet is the run's split by cluster once made.
	conns  map[string]*clusterConn
	connMu sync.Mutex
	fleet  *fleet
	// fileIndex is the data directory's file index, loaded for a refresh
	// (fileindex.go) and shared by every cluster's.
	fileIndex *fileindex.Index
	dataDir   string // absolute
	ws        string // the selected workspace
	// diags prints diagnostics found after loading (refactor.go).
	diags func(hcl.Diagnostics) error
}

// openOptions say how a command uses the configuration directory.
type openOptions struct {
	// readOnly: the command writes nothing (plan, show, status), so it
	// works on a read-only configuration and data directory.
	readOnly bool
	// saved is the plan being applied or shown: its variable values and
	// workspace are the ones to load the configuration with.
	saved *plan.Saved
	// jsonDiags, when set, also gets a configuration's errors as JSON (the
	// form validate --json prints): plan --json keeps its stdout JSON.
	jsonDiags io.Writer
}

// openWorkspace loads the configuration directory,
// printing diagnostics; a configuration with errors is errReported. It
// refuses a backend that changed since the state was last used.
func openWorkspace(g *GlobalOptions, s Streams) (*workspace, error) {
	return openWorkspaceWith(g, s, openOptions{})
}

func openWorkspaceWith(g *GlobalOptions, s Streams, o openOptions) (*workspace, error) {
	w, err := loadWorkspaceWith(g, s, o)
	if err == nil {
		err = w.setBackend()
	}
	if err == nil {
		_, err = w.checkBackend(!o.readOnly)
	}
	return w, err
}

// loadWorkspace loads the configuration directory, with
// no backend yet: validate needs neither a cluster nor state.
func loadWorkspace(g *GlobalOptions, s Streams) (*workspace, error) {
	return loadWorkspaceWith(g, s, openOptions{readOnly: true})
}

func loadWorkspaceWith(g *GlobalOptions, s Streams, o openOptions) (*workspace, error) {
	ws, err := g.enter()
	if err != nil {
		return nil, err
	}
	in := config.Inputs{Args: g.Vars, Env: os.Environ(), Workspace: ws, Dir: g.base}
	if o.saved != nil {
		if o.saved.Workspace != ws {
			return nil, withHint(fmt.Errorf("the saved plan was made in workspace %q, but workspace %q is selected", o.saved.Workspace, ws),
				"select that workspace (certform workspace select, or "+WorkspaceEnv+"), or make a new plan here")
		}
		in.Saved = o.saved.Variables
	}
	cfg, files, diags := config.Load(".", in)
	col := g.colorizer(Streams{Out: s.Err})
	if err := views.RenderDiagnostics(s.Err, files, diags, col, 0); err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		if o.jsonDiags != nil {
			if err := writeJSONDiagnostics(o.jsonDiags, diags); err != nil {
				return nil, err
			}
		}
		return nil, errReported
	}
	debugf("configuration loaded: %d certificate(s), %d CA bundle(s), workspace %s, data directory %s", len(cfg.Certificates), len(cfg.CABundles), ws, g.dataDir())
	gctune.Fit()
	w := &workspace{cfg: cfg, files: files, dataDir: g.dataDir(), ws: ws, keys: keyStore(g.dataDir(), ws)}
	w.diags = func(d hcl.Diagnostics) error { return views.RenderDiagnostics(s.Err, files, d, col, 0) }
	w.kube = g.kubeOptions(cfg)
	return w, nil
}

// kubeOptions says how to reach the cluster: the flags over the
// configuration's kubernetes block. A relative kubeconfig, in the block or
// --kubeconfig, is in the configuration directory.
func (g *GlobalOptions) kubeOptions(cfg *config.Config) kube.Options {
	var o kube.Options
	if k := cfg.Kubernetes; k != nil {
		o = kube.Options{Kubeconfig: cfg.Dir.Path(expandHome(k.Kubeconfig)), Context: k.Context}
	}
	if g.Kubeconfig != "" {
		o.Kubeconfig = cfg.Dir.Path(g.Kubeconfig)
	}
	if g.Context != "" {
		o.Context = g.Context
	}
	return o
}

// enter fixes the data directory and the configuration directory (g.base,
// which every relative path of the run is taken from: certform never
// changes its working directory) and returns the selected workspace.
func (g *GlobalOptions) enter() (string, error) {
	if g.base == "" {
		if err := g.resolveDataDir(); err != nil {
			return "", err
		}
		base, err := workdir.At(g.Chdir)
		if err != nil {
			return "", withHint(err, "check the --chdir path")
		}
		g.base = base
	}
	return selectedWorkspace(g.dataDir())
}

// setBackend picks the state backend the configuration names, for the
// selected workspace.
func (w *workspace) setBackend() error {
	b, err := w.backendIn(w.ws)
	w.backend = b
	if err == nil {
		debugf("state backend: %s", b.Describe())
	}
	return err
}

// backendIn is the state backend of workspace ws.
func (w *workspace) backendIn(ws string) (backend.Backend, error) {
	b := w.cfg.Backend
	if b == nil || b.Type == "local" {
		return &local.Backend{Path: localStatePath(b, ws), Dir: w.cfg.Dir}, nil
	}
	cs, err := w.clientset()
	if err != nil {
		return nil, err
	}
	return &kubebackend.Backend{Client: cs, Namespace: b.Namespace, Name: secretName(b.Name, ws), LockTTL: b.LockTTL, Cluster: w.backendCluster()}, nil
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// lock takes the state lock for operation, naming the holder on failure.
// It returns the context to do the work in: it ends when the lock is lost.
func (w *workspace) lock(ctx context.Context, operation string, timeout time.Duration) (context.Context, error) {
	runCtx, err := w.backend.Lock(ctx, backend.NewLockInfo(operation), timeout)
	var locked *backend.LockedError
	if errors.As(err, &locked) {
		hint := "wait for that run to finish, or pass --lock-timeout to wait for it"
		if _, ok := w.backend.(*kubebackend.Backend); ok {
			hint += "; if it crashed, its lock expires by itself, or certform force-unlock " + locked.Holder.ID + " releases it"
		}
		return nil, withHint(err, hint)
	}
	return runCtx, err
}

// loadState reads the state, explaining what to do when it cannot.
func (w *workspace) loadState(ctx context.Context) (*state.State, error) {
	st, err := w.backend.Load(ctx)
	if errors.Is(err, statefile.ErrUnsupportedVersion) {
		return nil, withHint(err, "this state was written by a newer certform; run that version")
	}
	if err != nil {
		hint := "the state was left untouched"
		if l, ok := w.backend.(*local.Backend); ok {
			if _, serr := os.Stat(l.Dir.Path(l.Path + ".backup")); serr == nil {
				hint += "; restore it from " + l.Path + ".backup if it is damaged"
			}
		}
		return nil, withHint(err, hint)
	}
	debugf("state loaded: lineage %s, serial %d, %d certificate record(s)", st.Lineage, st.Serial, len(st.Certificates))
	return st, nil
}

// loadStateUnlocked reads the state as loadState does; without the lock
// (unlocked) it tries again when the read failed, since a writer may have
// replaced the state between the reads of its parts.
func (w *workspace) loadStateUnlocked(ctx context.Context, unlocked bool) (*state.State, error) {
	st, err := w.loadState(ctx)
	for i := 0; err != nil && unlocked && i < 2; i++ {
		if errors.Is(err, statefile.ErrUnsupportedVersion) {
			break
		}
		st, err = w.loadState(ctx)
	}
	return st, err
}

// clientset returns the Kubernetes client, creating it on first use.
func (w *workspace) clientset() (kubernetes.Interface, error) {
	if w.cs != nil {
		return w.cs, nil
	}
	cs, err := kube.NewClientset(w.kube)
	if err != nil {
		return nil, withHint(err, "point certform at a cluster with --kubeconfig, $KUBECONFIG or a kubernetes block")
	}
	w.cs = cs
	return cs, nil
}

// csrClient returns the CSR client.
func (w *workspace) csrClient() (kube.CSRs, error) {
	cs, err := w.clientset()
	if err != nil {
		return nil, err
	}
	return cs.CertificatesV1().CertificateSigningRequests(), nil
}

// certificate returns the configured certificate with address addr, or nil.
func (w *workspace) certificate(addr string) *config.Certificate {
	for _, c := range w.cfg.Certificates {
		if c.Addr == addr {
			return c
		}
	}
	return nil
}

// backendCluster names the cluster the kubernetes backend keeps state in:
// the default cluster, whatever clusters the certificates are in.
func (w *workspace) backendCluster() string {
	rc, err := kube.RESTConfig(w.kube)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("cluster %q at %s", config.DefaultCluster, rc.Host)
}
