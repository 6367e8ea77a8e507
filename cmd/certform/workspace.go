package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/state"
)

// workspace is a loaded configuration directory with its state backend.
type workspace struct {
	cfg     *config.Config
	files   map[string]*hcl.File
	backend state.Backend
	keys    keystore.Store
	kube    kube.Options
	cs      kubernetes.Interface // created on first use
}

// openWorkspace changes to the configuration directory and loads it,
// printing diagnostics; a configuration with errors is errReported. It
// refuses a backend that changed since the state was last used.
func openWorkspace(g *GlobalOptions, s Streams) (*workspace, error) {
	w, err := loadWorkspace(g, s)
	if err == nil {
		err = w.setBackend()
	}
	if err == nil {
		_, err = w.checkBackend()
	}
	return w, err
}

// loadWorkspace changes to the configuration directory and loads it, with
// no backend yet: validate needs neither a cluster nor state.
func loadWorkspace(g *GlobalOptions, s Streams) (*workspace, error) {
	if g.Chdir != "" {
		if err := os.Chdir(g.Chdir); err != nil {
			return nil, withHint(fmt.Errorf("changing to configuration directory: %w", err), "check the --chdir path")
		}
	}
	cfg, files, diags := config.Load(".", config.Inputs{Args: g.Vars, Env: os.Environ()})
	col := g.colorizer(Streams{Out: s.Err})
	if err := views.RenderDiagnostics(s.Err, files, diags, col, 0); err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, errReported
	}
	w := &workspace{cfg: cfg, files: files, keys: keystore.Store{Dir: keystore.DefaultDir}}
	if k := cfg.Kubernetes; k != nil {
		w.kube = kube.Options{Kubeconfig: expandHome(k.Kubeconfig), Context: k.Context}
	}
	if g.Kubeconfig != "" {
		w.kube.Kubeconfig = g.Kubeconfig
	}
	if g.Context != "" {
		w.kube.Context = g.Context
	}
	return w, nil
}

// setBackend picks the state backend the configuration names.
func (w *workspace) setBackend() error {
	b := w.cfg.Backend
	if b == nil || b.Type == "local" {
		path := state.DefaultPath
		if b != nil && b.Path != "" {
			path = b.Path
		}
		w.backend = &state.Local{Path: path}
		return nil
	}
	cs, err := w.clientset()
	if err != nil {
		return err
	}
	w.backend = &state.Kubernetes{Client: cs, Namespace: b.Namespace, Name: b.Name, LockTTL: b.LockTTL}
	return nil
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
func (w *workspace) lock(ctx context.Context, operation string, timeout time.Duration) error {
	err := w.backend.Lock(ctx, state.NewLockInfo(operation), timeout)
	var locked *state.LockedError
	if errors.As(err, &locked) {
		return withHint(err, "wait for that run to finish, or pass --lock-timeout to wait for it")
	}
	return err
}

// loadState reads the state, explaining what to do when it cannot.
func (w *workspace) loadState() (*state.State, error) {
	st, err := w.backend.Load()
	if errors.Is(err, state.ErrUnsupportedVersion) {
		return nil, withHint(err, "this state was written by a newer certform; run that version")
	}
	if err != nil {
		hint := "the state was left untouched"
		if l, ok := w.backend.(*state.Local); ok {
			if _, serr := os.Stat(l.Path + ".backup"); serr == nil {
				hint += "; restore it from " + l.Path + ".backup if it is damaged"
			}
		}
		return nil, withHint(err, hint)
	}
	return st, nil
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
