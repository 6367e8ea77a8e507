package main

import (
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certform/certform/internal/testcluster"
)

// TestSecondInterruptEndsAtOnce: the first Ctrl-C lets apply stop
// cleanly, recording what it did; while that hangs (here on a frozen
// kube-apiserver holding the kubernetes backend's state), a second Ctrl-C
// ends the process at once, by the signal (docs/commands.md).
func TestSecondInterruptEndsAtOnce(t *testing.T) {
	c, err := testcluster.StartPrivate(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	paused := false
	defer func() {
		if paused {
			c.ResumeAPIServer()
		}
	}()
	dir := writeConfig(t, clientCert("ctrlc", false)+`
backend "kubernetes" {
  namespace = "default"
  name      = "state-ctrlc"
}
`)
	outs := newOutputs(1)
	cmd := certformCmd(dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=10m")
	cmd.Env = append(cmd.Env, LogEnv+"=debug")
	cmd.Stdout, cmd.Stderr = outs.writer(0), outs.writer(0)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	outs.waitFor(t, "apply waiting for approval", func(o []string) bool {
		return strings.Contains(o[0], "certificate.ctrlc: submitted CSR")
	})
	if err := c.PauseAPIServer(); err != nil {
		t.Fatal(err)
	}
	paused = true
	cmd.Process.Signal(syscall.SIGINT)
	outs.waitFor(t, "certform taking the first interrupt", func(o []string) bool {
		return strings.Contains(o[0], "certform: debug: interrupted: another interrupt ends certform at once")
	})
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("apply after two interrupts: %v\n%s", err, outs.String(0))
		}
		ws, ok := exit.Sys().(syscall.WaitStatus)
		if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
			t.Errorf("apply ended with %v, want killed by the second SIGINT\n%s", err, outs.String(0))
		}
	case <-time.After(waitLimit):
		cmd.Process.Kill()
		t.Fatalf("apply still runs %s after the second interrupt\n%s", waitLimit, outs.String(0))
	}
}

// TestInterruptWhileWaitingKeepsPending: a Ctrl-C while apply waits for a
// signer leaves each submitted CSR pending with its key kept, and apply
// says so: the addresses are pending, not failed, the summary counts them,
// and the next apply collects them (here with --no-wait, as the signer
// never signs).
func TestInterruptWhileWaitingKeepsPending(t *testing.T) {
	c := sharedCluster(t)
	var hcl string
	for _, name := range []string{"hold-a", "hold-b"} {
		hcl += strings.Replace(clientCert(name, true), "kubernetes.io/kube-apiserver-client", "example.com/never-signs", 1)
	}
	dir := writeConfig(t, hcl)
	outs := newOutputs(1)
	cmd := certformCmd(dir, c.AdminKubeconfig, "apply", "--auto-approve", "--no-color", "--wait-timeout=10m")
	cmd.Stdout, cmd.Stderr = outs.writer(0), outs.writer(0)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	outs.waitFor(t, "both CSRs approved and waiting for their signer", func(o []string) bool {
		return strings.Count(o[0], "waiting for the signer example.com/never-signs") == 2
	})
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(waitLimit):
		cmd.Process.Kill()
		t.Fatalf("apply still runs %s after the interrupt\n%s", waitLimit, outs.String(0))
	}
	out := outs.String(0)
	if code := cmd.ProcessState.ExitCode(); code != exitError {
		t.Errorf("interrupted apply exited %d, want %d\n%s", code, exitError, out)
	}
	for _, want := range []string{
		"Apply interrupted. 0 issued, 2 pending",
		"run certform apply again: it collects the CSRs left pending",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("interrupted apply does not say %q\n%s", want, out)
		}
	}
	for _, name := range []string{"hold-a", "hold-b"} {
		kept := regexp.MustCompile(`certificate\.` + name + `: CSR ` + name + `-\S+ interrupted while waiting; it stays pending with its key kept`)
		if !kept.MatchString(out) {
			t.Errorf("interrupted apply does not say certificate.%s stays pending\n%s", name, out)
		}
	}
	if strings.Contains(out, "failed") {
		t.Errorf("interrupted apply calls a kept CSR failed\n%s", out)
	}
	r := certform(t, dir, c.AdminKubeconfig, "status", "--no-color")
	for _, addr := range []string{"certificate.hold-a", "certificate.hold-b"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(addr) + `\s+pending\s`).MatchString(r.stdout) {
			t.Errorf("status after the interrupt does not show %s pending\n%s", addr, r.stdout)
		}
	}
	r = certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--no-color", "--no-wait")
	if r.code != exitOK || !strings.Contains(r.stdout, "0 issued, 2 pending") {
		t.Errorf("apply after the interrupt: exit %d, want it to find both CSRs still pending\n%s%s", r.code, r.stdout, r.stderr)
	}
}
