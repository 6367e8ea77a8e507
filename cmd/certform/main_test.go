package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certform/certform/internal/testcluster"
)

// certformBin is the certform binary built once for this test binary, so
// end-to-end tests run real processes, as a user or CI would.
var certformBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "certform-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	certformBin = filepath.Join(dir, "certform")
	build := []string{"build", "-o", certformBin}
	if cover := os.Getenv(coverDirEnv); cover != "" {
		// make cover: the binary records what the end-to-end tests run, in
		// GOCOVERDIR, which every run of it inherits (teams_test's runs as
		// nobody too).
		build = append(build, "-cover", "-coverpkg=github.com/certform/certform/...")
		os.Setenv("GOCOVERDIR", cover)
		os.Chmod(cover, 0o1777)
	}
	out, err := exec.Command("go", append(build, ".")...).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building certform: %v\n%s", err, out)
		os.Exit(1)
	}
	code := testcluster.Main(m)
	stopCertManager()
	os.RemoveAll(dir)
	os.Exit(code)
}

// coverDirEnv names the directory that make cover collects the end-to-end
// binary's coverage in.
const coverDirEnv = "CERTFORM_E2E_COVERDIR"

// coverEnv passes GOCOVERDIR on to a certform run with an environment of
// its own.
func coverEnv() []string {
	if d := os.Getenv("GOCOVERDIR"); d != "" {
		return []string{"GOCOVERDIR=" + d}
	}
	return nil
}

// result is one finished certform process.
type result struct {
	stdout, stderr string
	code           int
}

// certform runs the binary in dir with kubeconfig (may be "") and args.
func certform(t *testing.T, dir, kubeconfig string, args ...string) result {
	t.Helper()
	cmd := certformCmd(dir, kubeconfig, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

func certformCmd(dir, kubeconfig string, args ...string) *exec.Cmd {
	cmd := exec.Command(certformBin, append([]string{"--chdir", dir}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "NO_COLOR=1")
	return cmd
}

// startCertform starts certform in the background, its output collected in
// the returned buffer (read it only after Wait).
func startCertform(t *testing.T, dir, kubeconfig string, args ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := certformCmd(dir, kubeconfig, args...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// copyDir copies the files of src (one level of subdirectories) into a new
// temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// writeConfig writes one configuration file into a new directory.
func writeConfig(t *testing.T, hcl string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustContain(t *testing.T, r result, wants ...string) {
	t.Helper()
	all := r.stdout + r.stderr
	for _, w := range wants {
		if !strings.Contains(all, w) {
			t.Errorf("output lacks %q\n%s", w, r)
		}
	}
}

func sharedCluster(t *testing.T) *testcluster.Cluster {
	return testcluster.Shared(t)
}
