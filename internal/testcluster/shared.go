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
	// EnvBinOldest names the directory of the binaries of OldestMinor, for
	// the compatibility suite (SharedOldest); unset, the helpers run
	// hack/build-cluster.sh OldestMinor.
	EnvBinOldest = "CERTFORM_CLUSTER_BIN_OLDEST"
)

// OldestMinor is the oldest Kubernetes minor version certform supports,
// pinned by hack/kube-OLDEST: the compatibility suite runs against it.
const OldestMinor = "1.32"

// sharedCluster is one cluster a test binary starts on first use and
// stops in Main.
type sharedCluster struct {
	once sync.Once
	c    *Cluster
	err  error
	own  bool
}

var current, oldest sharedCluster

// Shared returns the cluster of this test binary, starting it on first use.
// It fails the test, never skips it, when no cluster can be had.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	current.once.Do(func() {
		if dir := os.Getenv(EnvDir); dir != "" {
			current.c, current.err = Attach(dir)
			return
		}
		current.start(context.Background(), "")
	})
	return current.get(t, "local test cluster")
}

// SharedOldest returns a cluster of OldestMinor, started on first use
// beside Shared's, for the compatibility suite. It fails the test, never
// skips it, when no such cluster can be had, and when the binaries it was
// given are of another version.
func SharedOldest(t testing.TB) *Cluster {
	t.Helper()
	oldest.once.Do(func() {
		if oldest.start(context.Background(), OldestMinor); oldest.err != nil {
			return
		}
		if minor := oldest.c.Version.Major + "." + oldest.c.Version.Minor; minor != OldestMinor {
			oldest.err = fmt.Errorf("the binaries of %s=%s run Kubernetes %s (%s), want %s", EnvBinOldest, oldest.c.opts.BinDir, oldest.c.Version.GitVersion, minor, OldestMinor)
		}
	})
	return oldest.get(t, "local test cluster of Kubernetes "+OldestMinor)
}

// start starts the cluster of minor ("" for the current version).
func (s *sharedCluster) start(ctx context.Context, minor string) {
	if s.c, s.err = StartPrivateVersion(ctx, "", minor); s.err != nil {
		return
	}
	s.own = true
	fmt.Fprintf(os.Stderr, "testcluster: Kubernetes %s started in %s at %s\n", s.c.Version.GitVersion, s.c.Startup.Round(1e6), s.c.APIServerURL())
}

// get returns the started cluster or fails t, and logs the components'
// exits during t.
func (s *sharedCluster) get(t testing.TB, what string) *Cluster {
	t.Helper()
	if s.err != nil {
		t.Fatalf("%s: %v", what, s.err)
	}
	if err := s.c.Check(); err != nil {
		t.Fatalf("%s: a component died: %v", what, err)
	}
	before := len(s.c.Exits())
	t.Cleanup(func() {
		for _, err := range s.c.Exits()[before:] {
			t.Logf("%s during this test: %v", what, err)
		}
	})
	return s.c
}

// stop stops a cluster this test binary started.
func (s *sharedCluster) stop() {
	if !s.own {
		return
	}
	for _, err := range s.c.Exits() {
		fmt.Fprintf(os.Stderr, "testcluster: a component exited on its own: %v\n", err)
	}
	s.c.Stop()
	os.RemoveAll(s.c.Dir)
}

// StartPrivate starts a cluster in a new temporary directory (or dir), for
// tests that restart or break it. The caller stops it.
func StartPrivate(ctx context.Context, dir string) (*Cluster, error) {
	return StartPrivateVersion(ctx, dir, "")
}

// StartPrivateVersion is StartPrivate for the Kubernetes version minor (""
// for the current one, or OldestMinor), with apiserverArgs added to
// kube-apiserver's flags.
func StartPrivateVersion(ctx context.Context, dir, minor string, apiserverArgs ...string) (*Cluster, error) {
	bin, err := BinDirFor(minor)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "certform-cluster-"); err != nil {
			return nil, err
		}
	}
	return Start(ctx, Options{BinDir: bin, Dir: dir, APIServerArgs: apiserverArgs})
}

// Main runs the tests of a package that uses Shared and stops the cluster
// afterwards: call it from TestMain as os.Exit(testcluster.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	current.stop()
	oldest.stop()
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

// BinDir returns the directory of the current version's cluster binaries,
// building them if needed.
func BinDir() (string, error) { return BinDirFor("") }

// BinDirFor returns the directory of the cluster binaries of Kubernetes
// minor ("" for the current version, OldestMinor for the oldest supported),
// from EnvBin or EnvBinOldest, or else building them if needed.
func BinDirFor(minor string) (string, error) {
	env, args := EnvBin, []string(nil)
	if minor != "" {
		if minor != OldestMinor {
			return "", fmt.Errorf("no environment variable names the binaries of Kubernetes %s; only %s and the current version are tested", minor, OldestMinor)
		}
		env, args = EnvBinOldest, []string{minor}
	}
	if dir := os.Getenv(env); dir != "" {
		return dir, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(filepath.Join(root, "hack", "build-cluster.sh"), args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("building cluster binaries with hack/build-cluster.sh %s: %w", strings.Join(args, " "), err)
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
