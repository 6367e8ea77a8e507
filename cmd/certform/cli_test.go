package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// run runs certform in this process, as the binary would, and returns its
// exit code and output. Only for runs that stop before a command's Run
// enters a configuration directory or contacts a cluster.
func inProcess(args ...string) result {
	var out, errOut bytes.Buffer
	code := Main(args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// TestFlagAndArgumentErrors: mistakes in flags and arguments are refused
// before anything is read, with exit 1, an error and a hint that says what
// to do; in process, with no cluster and no configuration.
func TestFlagAndArgumentErrors(t *testing.T) {
	cases := map[string]struct {
		args       []string
		err, hint  string
		wantStdout string
	}{
		"unknown command":          {[]string{"plna"}, `unknown command "plna"`, `did you mean "plan"?`, ""},
		"unknown command, far off": {[]string{"frobnicate"}, `unknown command "frobnicate"`, "run 'certform help' for the list of commands", ""},
		"mistyped flag":            {[]string{"plan", "--detailed-exitcod"}, "unknown flag: --detailed-exitcod", "did you mean --detailed-exitcode?", ""},
		"mistyped global flag":     {[]string{"--chdri", "x", "plan"}, "unknown flag: --chdri", "did you mean --chdir?", ""},
		"flag of another command":  {[]string{"destroy", "--no-wait"}, "unknown flag: --no-wait", "run 'certform destroy --help' for its flags", ""},
		"single-dash unknown":      {[]string{"plan", "-frobnicate"}, "unknown shorthand flag: 'f' in -frobnicate", "certform's long flags take two dashes (--frobnicate)", ""},
		"single-dash typo":         {[]string{"apply", "-auto-aprove"}, "unknown shorthand flag: 'a' in -auto-aprove", "did you mean --auto-approve?", ""},
		"flag without its value":   {[]string{"plan", "-out"}, "flag needs an argument: --out", "run 'certform plan --help' for its flags", ""},
		"bad flag value":           {[]string{"apply", "--parallelism", "many"}, `invalid argument "many" for "--parallelism"`, "run 'certform apply --help'", ""},
		"plan arguments":           {[]string{"plan", "prod"}, `plan takes no arguments, got ["prod"]`, "pass the directory with --chdir", ""},
		"plan format":              {[]string{"plan", "--format", "xml"}, `unknown --format "xml": use text, json or markdown`, "", ""},
		"apply two plans":          {[]string{"apply", "a.plan", "b.plan"}, "apply takes at most one argument, a saved plan", "pass the directory with --chdir", ""},
		"apply saved with target":  {[]string{"apply", "a.plan", "--target", "certificate.a"}, "--target, --replace and --refresh shape a new plan, not a saved one", "certform plan --out", ""},
		"apply json unconfirmed":   {[]string{"apply", "--json"}, "apply --json cannot ask for confirmation", "add --auto-approve, or apply a saved plan", ""},
		"destroy json":             {[]string{"destroy", "--json"}, "destroy --json cannot ask for confirmation", "add --auto-approve", ""},
		"destroy arguments":        {[]string{"destroy", "x"}, `destroy takes no arguments, got ["x"]`, "", ""},
		"parallelism":              {[]string{"apply", "--parallelism", "0"}, "--parallelism must be between 1 and", "", ""},
		"wait timeout":             {[]string{"apply", "--wait-timeout", "25h"}, "--wait-timeout must be at most 24h0m0s, got 25h0m0s", "pass --no-wait", ""},
		"approve without policy":   {[]string{"approve"}, "approve needs --policy", "certform approve --policy policies/", ""},
		"approve lease":            {[]string{"approve", "--policy", "p", "--lease-duration", "1s"}, "--lease-duration 1s is out of range", "use between 2s and 10m0s", ""},
		"validate json and policy": {[]string{"validate", "--json", "--policy", "p"}, "validate --json and --policy cannot be combined", "plan --policy DIR --json", ""},
		"state without sub":        {[]string{"state"}, "state needs a subcommand", "certform state list | show ADDR", ""},
		"state unknown sub":        {[]string{"state", "frob"}, `unknown state command "frob"`, "", ""},
		"state mv one":             {[]string{"state", "mv", "certificate.a"}, "state mv needs the address to move and its new address (FROM TO), got 1 argument(s)", "usage: certform state mv FROM TO", ""},
		"workspace name":           {[]string{"workspace", "new", "Prod_1"}, `"Prod_1" is not a workspace name`, "lower-case letters, digits and dashes", ""},
		"workspace sub":            {[]string{"workspace", "nwe", "x"}, `unknown workspace command "nwe"`, `did you mean "new"? certform workspace list | show`, ""},
		"workspace sub prefix":     {[]string{"workspace", "sel", "x"}, `unknown workspace command "sel"`, `did you mean "select"?`, ""},
		"workspace sub arguments":  {[]string{"workspace", "select"}, "workspace needs a subcommand and its arguments", "certform workspace list | show", ""},
		"state sub typo":           {[]string{"state", "lst"}, `unknown state command "lst"`, `did you mean "list"? certform state list | show ADDR`, ""},
		"output raw":               {[]string{"output", "--raw"}, "--raw prints one output's value", "certform output NAME --raw", ""},
		"output two":               {[]string{"output", "a", "b"}, "output takes at most one argument, an output name", "", ""},
		"import without files":     {[]string{"import", "certificate.a"}, "import takes an address, --key and --cert", "certform import", ""},
		"convert format":           {[]string{"convert", "json", "x"}, "convert takes a format and a file", "certform convert cfssl", ""},
		"force-unlock without id":  {[]string{"force-unlock"}, "force-unlock takes the lock ID", "", ""},
		"completion shell":         {[]string{"completion", "bsh"}, `no completion for shell "bsh"`, `did you mean "bash"?`, ""},
		"help unknown":             {[]string{"help", "aply"}, `unknown command "aply"`, `did you mean "apply"?`, ""},
		"version arguments":        {[]string{"version", "x"}, `version takes no arguments, got ["x"]`, "", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := inProcess(tc.args...)
			if r.code != exitError {
				t.Errorf("exit %d, want %d\n%s", r.code, exitError, r)
			}
			if !strings.HasPrefix(r.stderr, "certform: error: ") || !strings.Contains(r.stderr, tc.err) {
				t.Errorf("stderr lacks the error %q\n%s", tc.err, r)
			}
			if !strings.Contains(r.stderr, tc.hint) {
				t.Errorf("stderr lacks the hint %q\n%s", tc.hint, r)
			}
			if r.stdout != tc.wantStdout {
				t.Errorf("stdout = %q, want %q", r.stdout, tc.wantStdout)
			}
		})
	}
}

// TestExitCodes: what succeeds without a cluster exits 0, and a bare
// certform prints its usage on stderr and exits 1.
func TestExitCodes(t *testing.T) {
	cases := map[string]struct {
		args     []string
		want     int
		inStdout string
		inStderr string
	}{
		"bare":                 {nil, exitError, "", "usage: certform [global flags] COMMAND [flags]"},
		"bare with a flag":     {[]string{"--no-color"}, exitError, "", "usage: certform"},
		"--help":               {[]string{"--help"}, exitOK, "usage: certform", ""},
		"-h":                   {[]string{"-h"}, exitOK, "usage: certform", ""},
		"help":                 {[]string{"help"}, exitOK, "usage: certform", ""},
		"help plan":            {[]string{"help", "plan"}, exitOK, "usage: certform [global flags] plan [flags]", ""},
		"plan --help":          {[]string{"plan", "--help"}, exitOK, "usage: certform [global flags] plan [flags]", ""},
		"plan -help":           {[]string{"plan", "-help"}, exitOK, "usage: certform [global flags] plan [flags]", ""},
		"version":              {[]string{"version"}, exitOK, "certform dev (state format ", ""},
		"single-dash global":   {[]string{"-no-color", "version"}, exitOK, "certform dev", ""},
		"--version":            {[]string{"--version"}, exitOK, "certform dev (state format ", ""},
		"-version":             {[]string{"-version"}, exitOK, "certform dev (state format ", ""},
		"completion bash":      {[]string{"completion", "bash"}, exitOK, "complete -o default -F _certform certform", ""},
		"completion zsh":       {[]string{"completion", "zsh"}, exitOK, "#compdef certform", ""},
		"completion fish":      {[]string{"completion", "fish"}, exitOK, "complete -c certform", ""},
		"single-dash accepted": {[]string{"-chdir=" + t.TempDir(), "fmt", "-check"}, exitOK, "", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := inProcess(tc.args...)
			if r.code != tc.want {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.want, r)
			}
			if !strings.Contains(r.stdout, tc.inStdout) || !strings.Contains(r.stderr, tc.inStderr) {
				t.Errorf("want %q on stdout and %q on stderr\n%s", tc.inStdout, tc.inStderr, r)
			}
		})
	}
}

// TestVersionJSON: version --json is one JSON object with the version and
// the state format.
func TestVersionJSON(t *testing.T) {
	r := inProcess("version", "--json")
	var v VersionJSON
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || r.code != exitOK {
		t.Fatalf("version --json: %v\n%s", err, r)
	}
	if v.Version != version || v.StateFormat == 0 || !strings.HasPrefix(v.GoVersion, "go") {
		t.Errorf("version --json = %+v", v)
	}
}

// TestUsageListsEveryCommand: the usage is generated from the command
// table, so every command is listed with its summary, state with pull and
// push, and the hidden __complete is not.
func TestUsageListsEveryCommand(t *testing.T) {
	u := usageText()
	for _, c := range commandTable() {
		listed := strings.Contains(u, "\n  "+c.name+" ")
		if listed == c.hidden {
			t.Errorf("command %s listed: %v, hidden: %v\n%s", c.name, listed, c.hidden, u)
		}
		if !c.hidden && !strings.Contains(u, c.summary) {
			t.Errorf("usage lacks %s's summary %q", c.name, c.summary)
		}
	}
	for _, want := range []string{"pull", "push", "CERTFORM_LOG", "CERTFORM_LOG_PATH", "--var-file"} {
		if !strings.Contains(u, want) {
			t.Errorf("usage lacks %q\n%s", want, u)
		}
	}
}

// TestEveryCommandHasHelp: every command's help has a description, at
// least one example that runs certform, and only the global flags that
// apply to it.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commandTable() {
		if c.hidden {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			r := inProcess("help", c.name)
			if r.code != exitOK {
				t.Fatalf("help %s\n%s", c.name, r)
			}
			if len(strings.TrimSpace(c.desc)) < 40 || !strings.Contains(r.stdout, strings.Fields(c.desc)[0]) {
				t.Errorf("help %s has no description\n%s", c.name, r.stdout)
			}
			if !strings.Contains(r.stdout, "\nexamples:\n  ") || !strings.Contains(r.stdout, "certform ") {
				t.Errorf("help %s has no example\n%s", c.name, r.stdout)
			}
			if byFlag := inProcess(c.name, "--help"); byFlag.stdout != r.stdout {
				t.Errorf("%s --help differs from help %s:\n%s\n---\n%s", c.name, c.name, byFlag.stdout, r.stdout)
			}
			_, globalSection, _ := strings.Cut(r.stdout, "\nglobal flags:\n")
			for flag, group := range globalFlagGroup {
				shown := strings.Contains(globalSection, "--"+flag+" ")
				if shown != (c.globals&group != 0) {
					t.Errorf("help %s shows --%s: %v, but it applies: %v", c.name, flag, shown, c.globals&group != 0)
				}
			}
		})
	}
}

// TestSingleDash: Terraform's single-dash long flags are rewritten to two
// dashes; values, shorthands, "-" and what follows "--" are left alone.
func TestSingleDash(t *testing.T) {
	fs := cmdPlan.flagSet(&GlobalOptions{}, cmdPlan.new())
	cases := map[string]struct {
		in, want     []string
		interspersed bool
	}{
		"long flags":       {[]string{"-out", "x.plan", "-refresh=false", "-chdir=dir"}, []string{"--out", "x.plan", "--refresh=false", "--chdir=dir"}, true},
		"value left alone": {[]string{"--var", "-lock", "-var=a=1"}, []string{"--var", "-lock", "--var=a=1"}, true},
		"shorthand":        {[]string{"-h"}, []string{"-h"}, true},
		"unknown":          {[]string{"-frob"}, []string{"-frob"}, true},
		"after --":         {[]string{"--", "-out"}, []string{"--", "-out"}, true},
		"stdin":            {[]string{"-", "-json"}, []string{"-", "--json"}, true},
		"root stops":       {[]string{"-no-color", "plan", "-out", "x"}, []string{"--no-color", "plan", "-out", "x"}, false},
		"root value":       {[]string{"-chdir", "dir", "plan"}, []string{"--chdir", "dir", "plan"}, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := singleDash(tc.in, fs, tc.interspersed)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("singleDash(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestSuggest: a typo of a candidate is suggested, a different word is not.
func TestSuggest(t *testing.T) {
	cases := map[string]struct {
		name string
		want string
	}{
		"transposed": {"plna", "plan"},
		"one off":    {"aply", "apply"},
		"prefix":     {"stat", "state"},
		"far off":    {"frobnicate", ""},
		"too short":  {"x", ""},
		"exact":      {"fmt", "fmt"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := suggest(tc.name, commandNames()); got != tc.want {
				t.Errorf("suggest(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}

// TestEnvironmentDocumented: every environment variable certform help
// lists is described in docs/commands.md.
func TestEnvironmentDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(environmentHelp, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		name := strings.TrimSuffix(fields[0], "name") // CERTFORM_VAR_name
		if !strings.Contains(string(doc), "`"+name) {
			t.Errorf("docs/commands.md does not describe %s", fields[0])
		}
	}
}
