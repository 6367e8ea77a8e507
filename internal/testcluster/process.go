package testcluster

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// maxRestarts bounds how often the cluster restarts a component that exits
// on its own (kube-controller-manager gives up after 10 s without a
// healthy apiserver and cannot be told to wait longer).
const maxRestarts = 5

// process is one run of a control-plane binary the cluster started.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed after the process exited and was reaped
	err     error         // cmd.Wait's result; read only after done
	// stopping is set before the cluster stops the process itself, so its
	// exit is not a failure.
	stopping atomic.Bool
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitError describes how the process ended, with the tail of its log.
// Call it only after done is closed.
func (p *process) exitError() error {
	status := "exit status 0"
	if p.err != nil {
		status = p.err.Error()
	}
	return fmt.Errorf("%s exited (%s); last lines of %s:\n%s", p.name, status, p.logPath, logTail(p.logPath, 20))
}

// logTail returns the last n lines of the log at path (at most 8 KB).
func logTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read the log: %v)", err)
	}
	defer f.Close()
	const max = 8 << 10
	if st, err := f.Stat(); err == nil && st.Size() > max {
		f.Seek(st.Size()-max, io.SeekStart)
	}
	data, _ := io.ReadAll(f)
	lines := strings.Split(string(bytes.TrimRight(data, "\n")), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
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
		return append([]string{
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
		}, c.opts.APIServerArgs...)
	case "kube-controller-manager":
		return []string{
			"--kubeconfig=" + c.AdminKubeconfig,
			"--controllers=csrsigning,csrapproving,csrcleaner", "--leader-elect=false",
			"--cluster-signing-cert-file=" + pki("signer-ca.crt"), "--cluster-signing-key-file=" + pki("signer-ca.key"),
			"--kube-api-qps=1000", "--kube-api-burst=2000",
			// /healthz is served on the secure port with a certificate of
			// the cluster CA, to anyone: health waits need no credentials.
			"--bind-address=127.0.0.1", "--secure-port=" + port("controller-manager"),
			"--tls-cert-file=" + pki("controller-manager.crt"), "--tls-private-key-file=" + pki("controller-manager.key"),
			"--authorization-always-allow-paths=/healthz,/readyz,/livez",
			"--profiling=false",
		}
	}
	panic("unknown component " + name)
}

// startProcess starts component name. A process that exits without being
// stopped is recorded in c.exits; kube-controller-manager is then started
// again, at most maxRestarts times, before its done channel closes, so a
// waiter woken by done finds the replacement in c.procs.
func (c *Cluster) startProcess(name string) error {
	logPath := c.path("logs", name+".log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logFile, "=== testcluster: starting %s at %s\n", name, time.Now().Format(time.RFC3339Nano))
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
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	c.mu.Lock()
	c.procs[name] = p
	stopped := c.stopped
	c.mu.Unlock()
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		c.exitedOnItsOwn(p)
		close(p.done)
		c.notifyExit()
	}()
	if stopped { // a restart that raced with Stop
		stopProcess(p)
		return fmt.Errorf("starting %s: the cluster was stopped", name)
	}
	return nil
}

// exitedOnItsOwn records an exit the cluster did not ask for and restarts
// kube-controller-manager.
func (c *Cluster) exitedOnItsOwn(p *process) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.stopping.Load() || c.stopped {
		return
	}
	c.exits = append(c.exits, p.exitError())
	if p.name != "kube-controller-manager" || c.restarts >= maxRestarts {
		return
	}
	c.restarts++
	c.mu.Unlock()
	err := c.startProcess(p.name)
	c.mu.Lock()
	if err != nil {
		c.exits = append(c.exits, fmt.Errorf("restarting %s: %w", p.name, err))
	}
}

// proc returns the current process of component name.
func (c *Cluster) proc(name string) *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[name]
}

// Check reports the components that exited on their own and are not
// running again: each exit with the tail of its log. Nil means every
// process the cluster started is alive or being restarted by the cluster
// (it says nothing of their health).
func (c *Cluster) Check() error {
	var errs []error
	for _, name := range components {
		if p := c.proc(name); p != nil && p.exited() && !p.stopping.Load() {
			errs = append(errs, p.exitError())
		}
	}
	return errors.Join(errs...)
}

// Exits returns the components' exits the cluster did not ask for,
// including those it recovered from by restarting the component.
func (c *Cluster) Exits() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.exits...)
}

// Stop terminates the cluster's processes: SIGTERM, then SIGKILL after 5 s.
func (c *Cluster) Stop() {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	for i := len(components) - 1; i >= 0; i-- {
		if p := c.proc(components[i]); p != nil {
			stopProcess(p)
		}
	}
	os.Remove(c.path("pids"))
}

func stopProcess(p *process) {
	p.stopping.Store(true)
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

func (c *Cluster) writePIDs() error {
	var lines []string
	for _, name := range components {
		if p := c.proc(name); p != nil {
			lines = append(lines, fmt.Sprintf("%s %d", name, p.cmd.Process.Pid))
		}
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
