package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spf13/pflag"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
	"github.com/certform/certform/state/backend"
	kubebackend "github.com/certform/certform/state/backend/kubernetes"
	"github.com/certform/certform/state/backend/local"
)

const workspaceUsage = "certform workspace list | show | new NAME | select NAME | delete NAME"

// WorkspaceOptions are the workspace commands' flag and arguments.
type WorkspaceOptions struct {
	LockTimeout time.Duration
	Sub         string // list, show, new, select or delete
	Name        string // the workspace new, select and delete take
}

var cmdWorkspace = &command{
	name: "workspace", args: "list | show | new NAME | select NAME | delete NAME", summary: "list, show, create, select and delete workspaces",
	desc: `Workspaces keep one state per environment (say staging and prod) from one configuration, as
Terraform's do. Each has its own state (local backend: certform.state.d/NAME/; kubernetes backend:
the Secret NAME-ws-WORKSPACE) and its own pending keys; certform.workspace names it in
expressions. CERTFORM_WORKSPACE selects one without select, and wins over it. delete refuses a
workspace whose state still manages something.`,
	examples: []string{
		"certform workspace new staging",
		"certform workspace select default",
		"CERTFORM_WORKSPACE=prod certform plan",
	},
	globals: gChdir | gDataDir | gCluster,
	new:     func() Options { return &WorkspaceOptions{} },
}

// AddFlags adds the workspace commands' flag.
func (o *WorkspaceOptions) AddFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&o.LockTimeout, "lock-timeout", 0, "delete: how long to wait for the workspace's state lock")
}

// Complete takes the subcommand and the workspace name.
func (o *WorkspaceOptions) Complete(_ *GlobalOptions, args []string) error {
	var rest []string
	if len(args) > 0 {
		o.Sub, rest = args[0], args[1:]
	}
	wantArgs := map[string]int{"list": 0, "show": 0, "new": 1, "select": 1, "delete": 1}
	n, known := wantArgs[o.Sub]
	if !known && o.Sub != "" {
		return withHint(fmt.Errorf("unknown workspace command %q", o.Sub), didYouMean(o.Sub, slices.Collect(maps.Keys(wantArgs)), workspaceUsage))
	}
	if !known || len(rest) != n {
		return withHint(fmt.Errorf("workspace needs a subcommand and its arguments, got %q", args), workspaceUsage)
	}
	if n == 1 {
		o.Name = rest[0]
	}
	return nil
}

// Validate checks the workspace name.
func (o *WorkspaceOptions) Validate() error {
	if o.Name != "" && !workspaceName.MatchString(o.Name) {
		return withHint(fmt.Errorf("%q is not a workspace name", o.Name), workspaceNameRule)
	}
	return nil
}

// Run runs workspace list|show|new|select|delete.
func (o *WorkspaceOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	sub := o.Sub
	if sub == "show" {
		ws, err := g.enter()
		if err != nil {
			return exitError, err
		}
		fmt.Fprintln(s.Out, ws)
		return exitOK, nil
	}
	w, err := loadSettings(g, s)
	if err != nil {
		return exitError, err
	}
	names, err := w.workspaces(ctx)
	if err != nil {
		return exitError, err
	}
	if sub == "list" {
		for _, name := range names {
			mark := "  "
			if name == w.ws {
				mark = "* "
			}
			fmt.Fprintln(s.Out, mark+name)
		}
		return exitOK, nil
	}
	name := o.Name
	exists := slices.Contains(names, name)
	switch sub {
	case "new":
		if exists {
			return exitError, withHint(fmt.Errorf("workspace %q already exists", name), "select it with certform workspace select "+name)
		}
		if err := w.newWorkspace(ctx, name); err != nil {
			return exitError, err
		}
		fmt.Fprintf(s.Out, "Created workspace %q: its state is empty.\n", name)
		return exitOK, w.selectWorkspace(name, s)
	case "select":
		if !exists {
			return exitError, withHint(fmt.Errorf("workspace %q does not exist", name), "create it with certform workspace new "+name)
		}
		return exitOK, w.selectWorkspace(name, s)
	default:
		if !exists {
			return exitError, fmt.Errorf("workspace %q does not exist", name)
		}
		if err := w.deleteWorkspace(ctx, name, o.LockTimeout); err != nil {
			return exitError, err
		}
		fmt.Fprintf(s.Out, "Deleted workspace %q.\n", name)
		return exitOK, nil
	}
}

// loadSettings loads only the configuration's kubernetes and backend
// blocks: managing workspaces needs no variable values.
func loadSettings(g *GlobalOptions, s Streams) (*workspace, error) {
	ws, err := g.enter()
	if err != nil {
		return nil, err
	}
	cfg, files, diags := config.LoadSettings(".", g.base)
	if err := views.RenderDiagnostics(s.Err, files, diags, g.colorizer(Streams{Out: s.Err}), 0); err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, errReported
	}
	w := &workspace{cfg: cfg, files: files, dataDir: g.dataDir(), ws: ws}
	w.kube = g.kubeOptions(cfg)
	return w, nil
}

func (w *workspace) selectWorkspace(name string, s Streams) error {
	if err := recordWorkspace(w.dataDir, name); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "Switched to workspace %q.\n", name)
	if env := os.Getenv(WorkspaceEnv); env != "" && env != name {
		fmt.Fprintf(s.Err, "certform: warning: %s=%s is set and wins over the selected workspace\n", WorkspaceEnv, env)
	}
	return nil
}

// workspaces lists the workspaces the backend holds a state for; default
// is always one of them.
func (w *workspace) workspaces(ctx context.Context) ([]string, error) {
	names := []string{defaultWorkspace}
	b := w.cfg.Backend
	if b == nil || b.Type == "local" {
		dir := filepath.Join(filepath.Dir(localStatePath(b, defaultWorkspace)), localWorkspacesDir)
		entries, err := os.ReadDir(w.cfg.Dir.Path(dir))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("listing workspaces: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() && workspaceName.MatchString(e.Name()) {
				names = append(names, e.Name())
			}
		}
	} else {
		cs, err := w.clientset()
		if err != nil {
			return nil, err
		}
		list, err := cs.CoreV1().Secrets(b.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=certform"})
		if err != nil {
			return nil, fmt.Errorf("listing workspaces in namespace %s: %w", b.Namespace, err)
		}
		prefix := b.Name + "-ws-"
		for _, sec := range list.Items {
			ws, ok := strings.CutPrefix(sec.Name, prefix)
			// A state's main Secret is labelled with its own name; its parts
			// with the main Secret's.
			if ok && sec.Labels["certform.dev/state-of"] == sec.Name && workspaceName.MatchString(ws) {
				names = append(names, ws)
			}
		}
	}
	slices.Sort(names[1:])
	return slices.Compact(names), nil
}

// newWorkspace writes an empty state for workspace name, so that it is
// listed from now on.
func (w *workspace) newWorkspace(ctx context.Context, name string) error {
	b, err := w.backendIn(name)
	if err != nil {
		return err
	}
	if l, ok := b.(*local.Backend); ok {
		if err := os.MkdirAll(filepath.Dir(l.File("")), 0o755); err != nil {
			return fmt.Errorf("creating workspace %q: %w", name, err)
		}
	}
	if _, err := b.Lock(ctx, backend.NewLockInfo("workspace new"), 0); err != nil {
		return err
	}
	defer b.Unlock(context.WithoutCancel(ctx))
	st, err := b.Load(ctx)
	if err != nil {
		return err
	}
	return b.Persist(ctx, st)
}

// deleteWorkspace removes workspace name's state, which must be empty: a
// state that still names certificates is the only record of their CSRs and
// files. Its pending keys directory goes too, when empty.
func (w *workspace) deleteWorkspace(ctx context.Context, name string, timeout time.Duration) error {
	if name == defaultWorkspace {
		return errors.New("the default workspace cannot be deleted")
	}
	if name == w.ws {
		return withHint(fmt.Errorf("workspace %q is selected", name), "select another first: certform workspace select default")
	}
	b, err := w.backendIn(name)
	if err != nil {
		return err
	}
	if _, err := b.Lock(ctx, backend.NewLockInfo("workspace delete"), timeout); err != nil {
		return err
	}
	defer b.Unlock(context.WithoutCancel(ctx))
	st, err := b.Load(ctx)
	if err != nil {
		return err
	}
	if len(st.Certificates) > 0 || len(st.Bundles) > 0 {
		return withHint(fmt.Errorf("workspace %q still manages %d certificate(s) and %d CA bundle(s)", name, len(st.Certificates), len(st.Bundles)),
			"run CERTFORM_WORKSPACE="+name+" certform destroy first, or certform state rm what you mean to stop managing")
	}
	switch b := b.(type) {
	case *local.Backend:
		for _, p := range []string{b.File(""), b.File(".backup"), b.File(".journal")} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("deleting workspace %q: %w", name, err)
			}
		}
		b.Unlock(ctx)
		os.Remove(b.File(".lock"))
		os.Remove(filepath.Dir(b.File("")))               // only if empty
		os.Remove(filepath.Dir(filepath.Dir(b.File("")))) // certform.state.d, if it was the last
	case *kubebackend.Backend:
		if err := deleteStateSecrets(ctx, w, b); err != nil {
			return err
		}
	}
	keys := keyStore(w.dataDir, name).Dir
	os.Remove(keys) // only if empty: a kept key is never deleted here
	os.Remove(filepath.Dir(keys))
	return nil
}

// deleteStateSecrets deletes the Secrets that hold one state: the main one
// and its parts, all labelled with the main one's name.
func deleteStateSecrets(ctx context.Context, w *workspace, b *kubebackend.Backend) error {
	secrets := w.cs.CoreV1().Secrets(b.Namespace)
	list, err := secrets.List(ctx, metav1.ListOptions{LabelSelector: "certform.dev/state-of=" + b.Name})
	if err != nil {
		return fmt.Errorf("deleting workspace state %s: %w", b.Describe(), err)
	}
	for _, sec := range list.Items {
		if err := secrets.Delete(ctx, sec.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting workspace state %s: %w", b.Describe(), err)
		}
	}
	return nil
}
