package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// lines is a running process whose combined output is read line by line.
type lines struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	all  []string
	more chan struct{} // closed and replaced on every line, and at EOF
	eof  bool
	done chan struct{}
}

// startLines starts cmd with its stdout and stderr read line by line.
func startLines(t *testing.T, cmd *exec.Cmd) *lines {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	p := &lines{cmd: cmd, more: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			p.mu.Lock()
			p.all = append(p.all, sc.Text())
			close(p.more)
			p.more = make(chan struct{})
			p.mu.Unlock()
		}
		p.mu.Lock()
		p.eof = true
		close(p.more)
		p.mu.Unlock()
		r.Close()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

// waitFor blocks until a line contains want and returns it; the test
// fails if the output ends first.
func (p *lines) waitFor(t *testing.T, want string) string {
	t.Helper()
	for seen := 0; ; {
		p.mu.Lock()
		all, more, eof := p.all, p.more, p.eof
		p.mu.Unlock()
		for ; seen < len(all); seen++ {
			if strings.Contains(all[seen], want) {
				return all[seen]
			}
		}
		if eof {
			t.Fatalf("the output ended without %q\n%s", want, strings.Join(all, "\n"))
		}
		<-more
	}
}

// wait waits for the process and returns its whole output.
func (p *lines) wait() (string, error) {
	<-p.done
	err := p.cmd.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.all, "\n") + "\n", err
}
