package testcluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Environment variables read by the test helpers.
const (
	// EnvBin names the directory of cluster binaries; unset, the helpers run
	// hack/build-cluster.sh, which builds them once and caches them.
	EnvBin = "CERTFORM_CLUSTER_BIN"
	// EnvDir names the directory of a running cluster (make cluster-up) to
	// reuse instead of starting one per test binary.
	EnvDir = "CERTFORM_TEST_CLUSTER_DIR"
)

var (
	sharedOnce sync.Once
	shared     *Cluster
	sharedErr  error
	sharedOwn  bool
)

// Shared returns the cluster of this test binary, starting it on first use.
// It fails the test, never skips it, when no cluster can be had.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	sharedOnce.Do(func() {
		if dir := os.Getenv(EnvDir); dir != "" {
			shared, sharedErr = Attach(dir)
			return
		}
		shared, sharedErr = StartPrivate(context.Background(), "")
		sharedOwn = sharedErr == nil
		if sharedErr == nil {
			fmt.Fprintf(os.Stderr, "testcluster: started in %s at %s\n", shared.Startup.Round(1e6), shared.APIServerURL())
		}
	})
	if sharedErr != nil {
		t.Fatalf("local test cluster: %v", sharedErr)
	}
	if err := shared.Check(); err != nil {
		t.Fatalf("local test cluster: a component died: %v", err)
	}
	before := len(shared.Exits())
	t.Cleanup(func() {
		for _, err := range shared.Exits()[before:] {
			t.Logf("local test cluster during this test: %v", err)
		}
	})
	return shared
}

// StartPrivate starts a cluster in a new temporary directory (or dir), for
// tests that restart or break it. The caller stops it.
func StartPrivate(ctx context.Context, dir string) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "certform-cluster-"); err != nil {
			return nil, err
		}
	}
	return Start(ctx, Options{BinDir: bin, Dir: dir})
}

// Main runs the tests of a package that uses Shared and stops the cluster
// afterwards: call it from TestMain as os.Exit(testcluster.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if sharedOwn {
		for _, err := range shared.Exits() {
			fmt.Fprintf(os.Stderr, "testcluster: a component exited on its own: %v\n", err)
		}
		shared.Stop()
		os.RemoveAll(shared.Dir)
	}
	return code
}

// Attach describes a cluster already running in dir (started by
// make cluster-up). It cannot restart that cluster's processes.
func Attach(dir string) (*Cluster, error) {
	c := &Cluster{Dir: dir, AdminKubeconfig: filepath.Join(dir, "admin.kubeconfig"),
		RestrictedKubeconfig: filepath.Join(dir, "restricted.kubeconfig"), SignerCAFile: filepath.Join(dir, "signer-ca.crt")}
	data, err := os.ReadFile(c.SignerCAFile)
	if err != nil {
		return nil, fmt.Errorf("attaching to the cluster in %s: %w", dir, err)
	}
	if c.SignerCA, err = parseCert(data); err != nil {
		return nil, err
	}
	return c, nil
}

// BinDir returns the directory of cluster binaries, building them if needed.
func BinDir() (string, error) {
	if dir := os.Getenv(EnvBin); dir != "" {
		return dir, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(filepath.Join(root, "hack", "build-cluster.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("building cluster binaries with hack/build-cluster.sh: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "hack", "build-cluster.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("cannot find the certform repository root above the working directory; set %s", EnvBin)
		}
		dir = parent
	}
}
