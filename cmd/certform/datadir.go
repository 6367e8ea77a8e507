package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/state/backend/local"
)

// The data directory holds what certform keeps for one checkout of a
// configuration, apart from state: the backend record, the selected
// workspace, the keys of CSRs in flight and the file index (a cache of
// output files' hashes, fileindex.go). Like Terraform's .terraform it is
// ".certform" in the configuration directory unless --data-dir or
// CERTFORM_DATA_DIR names another, so that a configuration mounted
// read-only (a ConfigMap in a CronJob) can still be applied. validate
// never writes into it; plan only updates the file index, best-effort,
// and never creates the directory.
const (
	defaultDataDir = ".certform"
	// DataDirEnv names the data directory, like TF_DATA_DIR.
	DataDirEnv = "CERTFORM_DATA_DIR"
	// WorkspaceEnv selects the workspace, like TF_WORKSPACE; it wins over
	// certform workspace select.
	WorkspaceEnv = "CERTFORM_WORKSPACE"
	// defaultWorkspace is the workspace every configuration starts in; its
	// state is where the backend block says.
	defaultWorkspace = "default"
)

// workspaceName is what a workspace may be called: it becomes part of a
// Secret name and of a directory name.
var workspaceName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// resolveDataDir fixes the data directory: a relative --data-dir or
// CERTFORM_DATA_DIR is relative to where certform was started, not to the
// configuration directory, since it is usually somewhere else.
func (g *GlobalOptions) resolveDataDir() error {
	dir := g.DataDir
	if dir == "" {
		dir = os.Getenv(DataDirEnv)
	}
	if dir == "" {
		g.DataDir = ""
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("resolving the data directory %s: %w", dir, err)
	}
	g.DataDir = abs
	return nil
}

// dataDir is the data directory, absolute, once enter fixed it.
func (g *GlobalOptions) dataDir() string {
	if g.DataDir == "" {
		return g.base.Abs(defaultDataDir)
	}
	return g.DataDir
}

// selectedWorkspace is the workspace to work in: CERTFORM_WORKSPACE, else
// the one certform workspace select recorded, else default.
func selectedWorkspace(dataDir string) (string, error) {
	if name := os.Getenv(WorkspaceEnv); name != "" {
		if !workspaceName.MatchString(name) {
			return "", withHint(fmt.Errorf("%s=%q is not a workspace name", WorkspaceEnv, name), workspaceNameRule)
		}
		return name, nil
	}
	data, err := os.ReadFile(filepath.Join(dataDir, "workspace"))
	if errors.Is(err, fs.ErrNotExist) {
		return defaultWorkspace, nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the selected workspace: %w", err)
	}
	name := strings.TrimSpace(string(data))
	if !workspaceName.MatchString(name) {
		return "", withHint(fmt.Errorf("%s names workspace %q, which is not a workspace name", filepath.Join(dataDir, "workspace"), name),
			"run certform workspace select NAME")
	}
	return name, nil
}

const workspaceNameRule = "a workspace name is lower-case letters, digits and dashes, at most 63, e.g. staging"

// recordWorkspace makes name the selected workspace of the data directory.
func recordWorkspace(dataDir, name string) error {
	if name == defaultWorkspace {
		if err := os.Remove(filepath.Join(dataDir, "workspace")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return dataDirError(err)
	}
	return atomicfile.Write(filepath.Join(dataDir, "workspace"), []byte(name+"\n"), 0o644)
}

// dataDirError explains a data directory that cannot be written, as in a
// configuration mounted read-only.
func dataDirError(err error) error {
	return withHint(fmt.Errorf("writing the data directory: %w", err),
		"point --data-dir or "+DataDirEnv+" at a writable directory (a read-only configuration works with any of them)")
}

// keyStore is the store of keys whose CSR is in flight, one per workspace:
// apply removes the keys its state does not name, so workspaces must not
// share one.
func keyStore(dataDir, ws string) keystore.Store {
	if ws == defaultWorkspace {
		return keystore.Store{Dir: filepath.Join(dataDir, "pending-keys")}
	}
	return keystore.Store{Dir: filepath.Join(dataDir, "workspaces", ws, "pending-keys")}
}

// localStatePath is where the local backend keeps workspace ws's state:
// the configured path for default, certform.state.d/NAME/ beside it for
// the others (Terraform's terraform.tfstate.d).
func localStatePath(b *config.Backend, ws string) string {
	path := local.DefaultPath
	if b != nil && b.Path != "" {
		path = b.Path
	}
	if ws == defaultWorkspace {
		return path
	}
	return filepath.Join(filepath.Dir(path), localWorkspacesDir, ws, filepath.Base(path))
}

// localWorkspacesDir holds the local backend's other workspaces.
const localWorkspacesDir = "certform.state.d"

// secretName is the Secret holding workspace ws's state in the kubernetes
// backend: the configured name for default, NAME-ws-WORKSPACE for others.
func secretName(name, ws string) string {
	if ws == defaultWorkspace {
		return name
	}
	return name + "-ws-" + ws
}
