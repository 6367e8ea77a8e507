package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"

	"github.com/certform/certform/internal/kube"
)

// waitLimit bounds every wait for something another process does; the
// waits end as soon as it is done, so the bound only matters on failure.
const waitLimit = 2 * time.Minute

// waitForCSRs watches the CSRs matching selector ("" for all) until done
// holds for them, and fails the test with what if it does not within
// waitLimit. done runs again after every change.
func waitForCSRs(t *testing.T, kubeconfig, selector, what string, done func([]*certv1.CertificateSigningRequest) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	w := kube.NewWatcher(csrClient(t, kubeconfig), selector)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		w.Run(ctx)
	}()
	defer func() {
		cancel()
		<-stopped
	}()
	if err := w.Synced(ctx); err != nil {
		t.Fatalf("waiting for %s: listing CSRs: %v", what, err)
	}
	for {
		list, changed := w.Snapshot()
		if done(list) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-changed:
		}
	}
}

// waitForFileContaining waits, watching the file's directory with
// inotify, until path holds want.
func waitForFileContaining(t *testing.T, path, want string) {
	t.Helper()
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	events := os.NewFile(uintptr(fd), "inotify") // non-blocking: reads honour deadlines
	defer events.Close()
	if _, err := syscall.InotifyAddWatch(fd, filepath.Dir(path), syscall.IN_CREATE|syscall.IN_MODIFY|syscall.IN_MOVED_TO|syscall.IN_CLOSE_WRITE); err != nil {
		t.Fatal(err)
	}
	events.SetReadDeadline(time.Now().Add(waitLimit))
	buf := make([]byte, 64<<10)
	for {
		if data, err := os.ReadFile(path); err == nil && strings.Contains(string(data), want) {
			return
		}
		if _, err := events.Read(buf); err != nil {
			t.Fatalf("%s never contained %q: %v", path, want, err)
		}
	}
}

// outputs collects the output of several running processes, safe to read
// while they write, and lets a test wait for what they print.
type outputs struct {
	mu      sync.Mutex
	bufs    []bytes.Buffer
	changed chan struct{} // closed and replaced at every write
}

func newOutputs(n int) *outputs {
	return &outputs{bufs: make([]bytes.Buffer, n), changed: make(chan struct{})}
}

// writer is the stdout and stderr of process i.
func (o *outputs) writer(i int) io.Writer { return outputWriter{o, i} }

type outputWriter struct {
	o *outputs
	i int
}

func (w outputWriter) Write(p []byte) (int, error) {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	close(w.o.changed)
	w.o.changed = make(chan struct{})
	return w.o.bufs[w.i].Write(p)
}

// String is what process i printed so far.
func (o *outputs) String(i int) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bufs[i].String()
}

// waitFor waits until done holds for what each process printed, and fails
// the test with what if it does not within waitLimit.
func (o *outputs) waitFor(t *testing.T, what string, done func(outs []string) bool) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		outs := make([]string, len(o.bufs))
		for i := range o.bufs {
			outs[i] = o.bufs[i].String()
		}
		changed := o.changed
		o.mu.Unlock()
		if done(outs) {
			return
		}
		select {
		case <-deadline.C:
			t.Fatalf("waiting for %s: not within %s; the processes printed:\n%s", what, waitLimit, strings.Join(outs, "\n---\n"))
		case <-changed:
		}
	}
}
