package testcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is one control-plane binary the cluster started.
type process struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (c *Cluster) args(name string) []string {
	port := func(n string) string { return strconv.Itoa(c.ports[n]) }
	pki := func(f string) string { return c.path("pki", f) }
	etcdURL := "http://127.0.0.1:" + port("etcd-client")
	switch name {
	case "etcd":
		peer := "http://127.0.0.1:" + port("etcd-peer")
		return []string{
			"--data-dir=" + c.path("etcd"),
			"--listen-client-urls=" + etcdURL, "--advertise-client-urls=" + etcdURL,
			"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
			"--initial-cluster=default=" + peer,
			"--unsafe-no-fsync", "--heartbeat-interval=10", "--election-timeout=100",
			"--log-level=warn",
		}
	case "kube-apiserver":
		return []string{
			"--etcd-servers=" + etcdURL,
			"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + port("apiserver"),
			"--tls-cert-file=" + pki("apiserver.crt"), "--tls-private-key-file=" + pki("apiserver.key"),
			"--client-ca-file=" + pki("cluster-ca.crt"),
			"--service-account-key-file=" + pki("sa.pub"), "--service-account-signing-key-file=" + pki("sa.key"),
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-cluster-ip-range=10.96.0.0/16",
			"--authorization-mode=RBAC", "--endpoint-reconciler-type=none",
			"--enable-priority-and-fairness=false", "--profiling=false",
			"--cert-dir=" + c.path("pki"),
		}
	case "kube-controller-manager":
		return []string{
			"--kubeconfig=" + c.AdminKubeconfig,
			"--controllers=csrsigning,csrapproving,csrcleaner", "--leader-elect=false",
			"--cluster-signing-cert-file=" + pki("signer-ca.crt"), "--cluster-signing-key-file=" + pki("signer-ca.key"),
			"--kube-api-qps=1000", "--kube-api-burst=2000",
			"--bind-address=127.0.0.1", "--secure-port=" + port("controller-manager"),
			"--profiling=false",
		}
	}
	panic("unknown component " + name)
}

func (c *Cluster) startProcess(name string) error {
	logPath := c.path("logs", name+".log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(c.opts.BinDir, name), c.args(name)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if c.opts.Detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	c.procs[name] = p
	return nil
}

// Stop terminates the cluster's processes: SIGTERM, then SIGKILL after 5 s.
func (c *Cluster) Stop() {
	for _, name := range []string{"kube-controller-manager", "kube-apiserver", "etcd"} {
		if p := c.procs[name]; p != nil {
			stopProcess(p)
		}
	}
	os.Remove(c.path("pids"))
}

func stopProcess(p *process) {
	if p.exited() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// RestartAPIServer stops kube-apiserver and starts it again on the same
// port, then waits for /readyz: the restart a client must survive.
func (c *Cluster) RestartAPIServer() error {
	stopProcess(c.procs["kube-apiserver"])
	if err := c.startProcess("kube-apiserver"); err != nil {
		return err
	}
	return c.waitReady(context.Background())
}

func (c *Cluster) writePIDs() error {
	var lines []string
	for name, p := range c.procs {
		lines = append(lines, fmt.Sprintf("%s %d", name, p.cmd.Process.Pid))
	}
	return os.WriteFile(c.path("pids"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

// StopDetached stops a cluster started with Detach by another process,
// using the pids file in dir.
func StopDetached(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, "pids"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var pids []int
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if _, pidStr, ok := strings.Cut(line, " "); ok {
			if pid, err := strconv.Atoi(pidStr); err == nil {
				pids = append(pids, pid)
				syscall.Kill(pid, syscall.SIGTERM)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		syscall.Kill(pid, syscall.SIGKILL)
	}
	return os.Remove(filepath.Join(dir, "pids"))
}
