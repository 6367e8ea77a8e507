package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/certform/certform/internal/testcluster"
)

// envCertManager names the cert-manager-signer binary (hack/cert-manager:
// cert-manager's issuers, clusterissuers and CA CSR signer controllers)
// for the tests against a third-party signer; make test sets it from
// hack/build-cert-manager.sh. Unset, the tests run that script themselves,
// which builds it from Go modules once and caches it: they fail, never
// skip, when it cannot be had.
const envCertManager = "CERTFORM_CERT_MANAGER"

// The issuers the tests sign with, and the Secrets holding their CAs.
const (
	cmNamespace     = "cert-manager" // --cluster-resource-namespace: ClusterIssuers' Secrets
	cmTeamNamespace = "cm-team"      // the namespaced Issuer's
	cmRoot          = "certform-root"
	cmIntermediate  = "certform-intermediate"
	cmTeam          = "team-ca"
)

// certManagerBinary returns the path of the cert-manager-signer command.
func certManagerBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv(envCertManager); bin != "" {
		if st, err := os.Stat(bin); err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			t.Fatalf("%s=%s is not an executable (%v)\nhint: run make test, or set %s=$(./hack/build-cert-manager.sh)", envCertManager, bin, err, envCertManager)
		}
		return bin
	}
	cmd := exec.Command(filepath.Join("..", "..", "hack", "build-cert-manager.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("building cert-manager with hack/build-cert-manager.sh: %v\nhint: run make test, or set %s to its binary", err, envCertManager)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// certManager is the cert-manager signer this test binary runs against the
// shared cluster, with the CAs of its issuers.
type certManager struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process exited

	root, intermediate, team          *x509.Certificate
	rootKey, intermediateKey, teamKey crypto.Signer
}

var (
	cmOnce   sync.Once
	cmShared *certManager
	cmErr    error
)

// sharedCertManager starts cert-manager against c on first use, with a
// CA ClusterIssuer (a root), an intermediate ClusterIssuer under that root
// and a namespaced CA Issuer, and waits until all three are Ready.
func sharedCertManager(t *testing.T, c *testcluster.Cluster) *certManager {
	t.Helper()
	bin := certManagerBinary(t)
	cmOnce.Do(func() { cmShared, cmErr = startCertManager(c, bin) })
	if cmErr != nil {
		t.Fatal(cmErr)
	}
	select {
	case <-cmShared.done:
		t.Fatalf("cert-manager exited: %v\n%s", cmShared.cmd.ProcessState, tail(cmShared.log))
	default:
	}
	return cmShared
}

func startCertManager(c *testcluster.Cluster, bin string) (*certManager, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cm := &certManager{done: make(chan struct{})}
	if err := cm.makeCAs(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "certform-cert-manager-")
	if err != nil {
		return nil, err
	}
	cm.log = filepath.Join(dir, "cert-manager.log")
	logFile, err := os.Create(cm.log)
	if err != nil {
		return nil, err
	}
	crds := filepath.Join(filepath.Dir(filepath.Dir(bin)), "crds")
	cm.cmd = exec.Command(bin, "--kubeconfig", c.AdminKubeconfig, "--crds", crds, "--cluster-resource-namespace", cmNamespace)
	cm.cmd.Stdout, cm.cmd.Stderr = logFile, logFile
	cm.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cm.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting cert-manager: %w", err)
	}
	go func() {
		cm.cmd.Wait()
		logFile.Close()
		close(cm.done)
	}()
	if err := cm.setUpIssuers(ctx, c); err != nil {
		cm.stop()
		return nil, fmt.Errorf("%w\n%s", err, tail(cm.log))
	}
	return cm, nil
}

// stopCertManager stops the shared cert-manager, if one was started.
func stopCertManager() {
	if cmShared != nil {
		cmShared.stop()
		os.RemoveAll(filepath.Dir(cmShared.log))
	}
}

func (cm *certManager) stop() {
	cm.cmd.Process.Signal(syscall.SIGCONT) // a paused signer cannot exit
	cm.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-cm.done:
	case <-time.After(10 * time.Second):
		cm.cmd.Process.Kill()
		<-cm.done
	}
}

// pause stops the signer process (SIGSTOP) until the returned function
// resumes it: a signer that is approved CSRs behind, as one held back by
// its own rate limit is.
func (cm *certManager) pause(t *testing.T) (resume func()) {
	t.Helper()
	if err := cm.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	resume = func() { once.Do(func() { cm.cmd.Process.Signal(syscall.SIGCONT) }) }
	t.Cleanup(resume)
	return resume
}

func tail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return "--- cert-manager log (end)\n" + string(data)
}
