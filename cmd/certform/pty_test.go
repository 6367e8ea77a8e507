package main

import (
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// answerApply runs apply in dir with a terminal as its standard input,
// reads its output (standard output and error, in the order written)
// until it ends with prompt, answers, and returns all it wrote and its
// exit code.
func answerApply(t *testing.T, dir, kubeconfig, answer, prompt string) (string, int) {
	t.Helper()
	term, tty := openPTY(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := certformCmd(dir, kubeconfig, "apply")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	tty.Close()
	var out strings.Builder
	buf := make([]byte, 4096)
	for !strings.HasSuffix(out.String(), prompt) {
		n, err := r.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			break // it ended without asking: the caller sees why
		}
	}
	if strings.HasSuffix(out.String(), prompt) {
		if _, err := term.Write([]byte(answer + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	rest, _ := io.ReadAll(r)
	out.Write(rest)
	cmd.Wait()
	term.Close()
	return out.String(), cmd.ProcessState.ExitCode()
}

// openPTY opens a pseudo-terminal: the controlling side, to type into,
// and the terminal a process reads from.
func openPTY(t *testing.T) (term, tty *os.File) {
	t.Helper()
	term, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	var unlock int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, term.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		t.Fatalf("unlocking the pseudo-terminal: %v", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, term.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Fatalf("naming the pseudo-terminal: %v", errno)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		term.Close()
		t.Fatalf("opening the pseudo-terminal's terminal: %v", err)
	}
	return term, tty
}
