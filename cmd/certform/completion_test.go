package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompletions: commands, flags, subcommands and flag values are
// completed from the command table, in process.
func TestCompletions(t *testing.T) {
	cases := map[string]struct {
		words []string
		want  []string
	}{
		"commands":              {[]string{"st"}, []string{"status", "state"}},
		"after global flags":    {[]string{"--chdir", "dir", "--no-color", "ap"}, []string{"apply", "approve"}},
		"global flags":          {[]string{"--k"}, []string{"--kubeconfig"}},
		"a command's flags":     {[]string{"plan", "--de"}, []string{"--detailed-exitcode"}},
		"no flag of another":    {[]string{"destroy", "--no"}, []string{"--no-color"}},
		"state subcommands":     {[]string{"state", "p"}, []string{"pull", "push"}},
		"workspace":             {[]string{"workspace", ""}, []string{"delete", "list", "new", "select", "show"}},
		"help":                  {[]string{"help", "fo"}, []string{"force-unlock"}},
		"completion":            {[]string{"completion", ""}, []string{"bash", "fish", "zsh"}},
		"format values":         {[]string{"plan", "--format", ""}, []string{"text", "json", "markdown"}},
		"files for --out":       {[]string{"plan", "--out", ""}, nil},
		"--flag=value":          {[]string{"plan", "--format=j"}, []string{"--format=json"}},
		"bash's --flag = value": {[]string{"plan", "--format", "=", "j"}, []string{"json"}},
		"bash's --flag =":       {[]string{"plan", "--format", "="}, []string{"text", "json", "markdown"}},
		"bash's global flag =":  {[]string{"--chdir", "=", "dir", "ap"}, []string{"apply", "approve"}},
		"files for apply":       {[]string{"apply", ""}, nil},
		"unknown command":       {[]string{"frob", ""}, nil},
		"no state, no targets":  {[]string{"--chdir", "/nonexistent", "plan", "--target", ""}, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := completions(GlobalOptions{}, tc.words)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("completions(%q) = %q, want %q", tc.words, got, tc.want)
			}
		})
	}
}

// completionState is a local state with three addresses, one a for_each
// instance that needs quoting in a shell.
const completionState = `{
  "version": 1,
  "lineage": "6f1c1bd4-9a5e-4c1e-8d55-0c7f4f8e2a11",
  "serial": 3,
  "certform_version": "test",
  "certificates": {
    "certificate.api": {"status": "issued"},
    "certificate.web[\"a\"]": {"status": "issued"},
    "module.edge.certificate.tls": {"status": "pending"}
  }
}
`

// completionDir is a configuration directory whose local state holds the
// addresses of completionState.
func completionDir(t *testing.T) string {
	dir := writeConfig(t, "")
	if err := os.WriteFile(filepath.Join(dir, "certform.state.json"), []byte(completionState), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCompleteAddressesFromState: the addresses after --target, --replace
// and state show, rm and mv are those in state, read in the directory
// --chdir names (before __complete or among the words), and completing
// writes nothing there.
func TestCompleteAddressesFromState(t *testing.T) {
	dir := completionDir(t)
	all := "certificate.api\ncertificate.web[\"a\"]\nmodule.edge.certificate.tls\n"
	cases := map[string]struct {
		args []string
		want string
	}{
		"--target":           {[]string{"__complete", "plan", "--target", ""}, all},
		"--replace prefix":   {[]string{"__complete", "apply", "--replace", "certificate."}, "certificate.api\ncertificate.web[\"a\"]\n"},
		"quoted prefix":      {[]string{"__complete", "apply", "--replace", "'certificate.w"}, "certificate.web[\"a\"]\n"},
		"state show":         {[]string{"__complete", "state", "show", "mod"}, "module.edge.certificate.tls\n"},
		"state rm, second":   {[]string{"__complete", "state", "rm", "certificate.api", "certificate.a"}, "certificate.api\n"},
		"state mv, not TO":   {[]string{"__complete", "state", "mv", "certificate.api", ""}, ""},
		"escaped as typed":   {[]string{"__complete", "state", "show", `certificate.web\["`}, "certificate.web[\"a\"]\n"},
		"double-quoted":      {[]string{"__complete", "state", "rm", `"certificate.web[\"a`}, "certificate.web[\"a\"]\n"},
		"--chdir among them": {[]string{"__complete", "--chdir", dir, "state", "show", "certificate.a"}, "certificate.api\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			args := tc.args
			if name == "--chdir among them" {
				// certform() passes --chdir before __complete; here the
				// directory is only among the words.
				r := certformIn(t, t.TempDir(), args...)
				if r.code != exitOK || r.stdout != tc.want {
					t.Errorf("got %q, want %q\n%s", r.stdout, tc.want, r)
				}
				return
			}
			r := certform(t, dir, "", args...)
			if r.code != exitOK || r.stdout != tc.want || r.stderr != "" {
				t.Errorf("got %q, want %q\n%s", r.stdout, tc.want, r)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("completing wrote into the configuration directory: %v", entries)
	}
}

// certformIn runs the binary in working directory wd, without --chdir.
func certformIn(t *testing.T, wd string, args ...string) result {
	t.Helper()
	cmd := exec.Command(certformBin, args...)
	cmd.Dir = wd
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if exit, ok := err.(*exec.ExitError); ok {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestBashCompletionScript: bash, with the script certform completion bash
// prints, completes a command and an address from state, quoted for the
// shell.
func TestBashCompletionScript(t *testing.T) {
	bash := shellBinary(t, "bash")
	dir := completionDir(t)
	script := inProcess("completion", "bash").stdout
	cases := map[string]struct {
		words string // COMP_WORDS after the binary
		want  string
	}{
		"command": {`pla`, "plan\n"},
		"flag":    {`plan --de`, "--detailed-exitcode\n"},
		"address": {`--chdir "$DIR" plan --target 'certificate.w'`, `certificate.web\[\"a\"\]` + "\n"},
		// The word as the shell holds it after inserting the candidates'
		// common prefix: escaped, not yet dequoted.
		"after the common prefix": {`--chdir "$DIR" plan --target 'certificate.web\[\"'`, `certificate.web\[\"a\"\]` + "\n"},
		"quoted directory":        {`--chdir "'$DIR'" state show 'mod'`, "module.edge.certificate.tls\n"},
		// bash splits --flag=value at "=" (COMP_WORDBREAKS).
		"--flag=value": {`--chdir = "$DIR" plan --target = 'certificate.w'`, `certificate.web\[\"a\"\]` + "\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			prog := script + `
COMP_WORDS=("$BIN" ` + tc.words + `)
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_certform
printf '%s\n' "${COMPREPLY[@]}"
`
			cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog)
			cmd.Env = append(os.Environ(), "BIN="+certformBin, "DIR="+dir)
			out, err := cmd.CombinedOutput()
			if err != nil || string(out) != tc.want {
				t.Errorf("bash completion of %s: %v\ngot:  %q\nwant: %q", tc.words, err, out, tc.want)
			}
		})
	}
}
