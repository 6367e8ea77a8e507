package main

import (
	"context"
	"errors"
	"os/exec"
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
