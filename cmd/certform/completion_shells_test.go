package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// shellBinary returns the path of the real shell name (bash, zsh or fish)
// for the completion tests: CERTFORM_BASH, CERTFORM_ZSH or CERTFORM_FISH,
// which make test sets from hack/install-shells.sh; unset, the test runs
// that script, which installs Debian's package where the shell is missing.
// The test fails, never skips, when the shell cannot be had.
func shellBinary(t *testing.T, name string) string {
	t.Helper()
	env := "CERTFORM_" + strings.ToUpper(name)
	if bin := os.Getenv(env); bin != "" {
		return bin
	}
	cmd := exec.Command(filepath.Join("..", "..", "hack", "install-shells.sh"), name)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("finding %s with hack/install-shells.sh: %v\nhint: run make test (or make shells), apt-get install %s, or set %s to a %s", name, err, name, env, name)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// shellCase is one command line typed into a shell and completed, in a
// working directory that holds saved.plan, and the candidates the shell
// offers, one a line ($DIR in line is a configuration directory whose
// state holds completionState's addresses).
type shellCase struct {
	line string
	want string
}

// shellCases are what every shell must complete: a command, a flag, the
// addresses in state, and file names where certform offers nothing. Each
// shell shows the address with a for_each key its own way.
func shellCases(webA string) map[string]shellCase {
	return map[string]shellCase{
		"command":                      {"certform pl", "plan\n"},
		"a command's flag":             {"certform plan --de", "--detailed-exitcode\n"},
		"global flag before a command": {"certform --kube", "--kubeconfig\n"},
		"address after --target":       {"certform --chdir $DIR plan --target certificate.w", webA + "\n"},
		"addresses for state show":     {"certform --chdir $DIR state show ", "certificate.api\n" + webA + "\nmodule.edge.certificate.tls\n"},
		"file names after --out":       {"certform plan --out sav", "saved.plan\n"},
	}
}

// runShell runs a shell command line with certform first on PATH, in
// wd, and returns its output; it fails the test when the shell fails or
// hangs (a completion that never returns).
func runShell(t *testing.T, wd string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = wd
	home := t.TempDir() // nothing of the user's shell set-up, and no writes to it
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(certformBin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_DATA_HOME="+home, "TERM=dumb")
	cmd.Env = append(cmd.Env, coverEnv()...)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v (context: %v)\nstdout: %s\nstderr: %s", name, args, err, ctx.Err(), stdout.String(), stderr.String())
	}
	return stdout.String()
}

// shellWorkDir is a working directory holding one file, saved.plan, for
// the shells' file name completion.
func shellWorkDir(t *testing.T) string {
	wd := t.TempDir()
	if err := os.WriteFile(filepath.Join(wd, "saved.plan"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return wd
}

// TestZshCompletionScript: a real interactive zsh (on a pseudo-terminal,
// testdata/completion/zsh-capture.zsh), with compinit and the script
// certform completion zsh prints installed as _certform in $fpath the way
// the help says, completes each line on Tab; what the completion system
// offers is captured. zsh quotes the address as it would insert it.
func TestZshCompletionScript(t *testing.T) {
	zsh := shellBinary(t, "zsh")
	dir := completionDir(t)
	fpath := t.TempDir()
	if err := os.WriteFile(filepath.Join(fpath, "_certform"), []byte(inProcess("completion", "zsh").stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	capture, err := filepath.Abs(filepath.Join("testdata", "completion", "zsh-capture.zsh"))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range shellCases(`certificate.web\[\"a\"\]`) {
		t.Run(name, func(t *testing.T) {
			line := strings.ReplaceAll(tc.line, "$DIR", dir)
			if got := runShell(t, shellWorkDir(t), nil, zsh, "-f", capture, fpath, line); got != tc.want {
				t.Errorf("zsh completion of %q:\ngot:  %q\nwant: %q", line, got, tc.want)
			}
		})
	}
}

// TestFishCompletionScript: fish, with the script certform completion fish
// prints sourced, completes each line (complete -C, what fish runs on Tab)
// to the candidates certform offers, the address unquoted.
func TestFishCompletionScript(t *testing.T) {
	fish := shellBinary(t, "fish")
	dir := completionDir(t)
	script := filepath.Join(t.TempDir(), "certform.fish")
	if err := os.WriteFile(script, []byte(inProcess("completion", "fish").stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range shellCases(`certificate.web["a"]`) {
		t.Run(name, func(t *testing.T) {
			line := strings.ReplaceAll(tc.line, "$DIR", dir)
			env := []string{"SCRIPT=" + script, "LINE=" + line}
			if got := runShell(t, shellWorkDir(t), env, fish, "--no-config", "-c", `source $SCRIPT; complete -C $LINE`); got != tc.want {
				t.Errorf("fish completion of %q:\ngot:  %q\nwant: %q", line, got, tc.want)
			}
		})
	}
}
