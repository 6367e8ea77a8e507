package bench

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envMeasure, set on this test binary started again, makes it a launcher
// (launch): it runs its arguments as a command and writes what the
// command used to the file envMeasure names.
const envMeasure = "CERTFORM_BENCH_MEASURE"

// usage is what a command run by measured used.
type usage struct {
	PeakRSSMiB float64       `json:"peak_rss_mib"`
	CPU        time.Duration `json:"cpu"`
}

// measured returns a command running bin with args through a launcher,
// and a function that reads what bin used once the command has run. The
// peak RSS that os/exec reports for a command started from this process
// is at least this process's own: Go starts commands with vfork
// (CLONE_VM), and Linux counts the shared memory's high-water mark into
// the child's when it execs. A benchmark process that has just planned
// 10,000 certificates in process holds more than the binary it measures,
// so the figure was the benchmark's. The launcher is this test binary
// started afresh, a few tens of MiB, so what it reports is bin's own.
func measured(b testing.TB, bin string, args ...string) (*exec.Cmd, func() usage) {
	b.Helper()
	file := filepath.Join(b.TempDir(), "usage.json")
	cmd := exec.Command(os.Args[0], append([]string{bin}, args...)...)
	cmd.Env = append(os.Environ(), envMeasure+"="+file)
	return cmd, func() usage {
		b.Helper()
		var u usage
		data, err := os.ReadFile(file)
		if err == nil {
			err = json.Unmarshal(data, &u)
		}
		if err != nil {
			b.Fatalf("reading what %s used: %v", bin, err)
		}
		return u
	}
}

// launch runs args with this process's standard streams and environment
// (less envMeasure), writes what it used to file and returns its exit
// code.
func launch(file string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, envMeasure+"=") })
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		os.Stderr.WriteString("bench launcher: " + err.Error() + "\n")
		return 1
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	data, _ := json.Marshal(usage{PeakRSSMiB: float64(ru.Maxrss) / 1024, CPU: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()})
	if err := os.WriteFile(file, data, 0o644); err != nil {
		os.Stderr.WriteString("bench launcher: " + err.Error() + "\n")
		return 1
	}
	return cmd.ProcessState.ExitCode()
}

// TestMeasuredIsTheCommandsOwn holds 256 MiB in this process and wants the
// peak RSS measured of a small command to be the command's, as os/exec's
// own figure is not.
func TestMeasuredIsTheCommandsOwn(t *testing.T) {
	held := make([]byte, 256<<20)
	for i := range held {
		held[i] = 1
	}
	direct := exec.Command("true")
	if err := direct.Run(); err != nil {
		t.Fatal(err)
	}
	if rss := float64(direct.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024; rss < 256 {
		t.Logf("os/exec reports %.0f MiB for true: this kernel does not count the parent's memory", rss)
	}
	cmd, used := measured(t, "true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if rss := used().PeakRSSMiB; rss <= 0 || rss >= 128 {
		t.Errorf("measured peak RSS of true: %.1f MiB, want its own (a few MiB)", rss)
	}
	held[0] = held[len(held)-1] // held until here
}
