package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
)

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2 // plan --detailed-exitcode: changes present
)

// Streams are the command's standard streams.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// GlobalOptions are accepted by every command.
type GlobalOptions struct {
	Chdir      string
	DataDir    string // --data-dir; made absolute before the change to Chdir
	Kubeconfig string
	Context    string
	NoColor    bool
	// Vars are --var and --var-file in command-line order.
	Vars []config.VarArg
}

// varFlag appends to GlobalOptions.Vars, so --var and --var-file keep
// their relative order (later wins, as in Terraform).
type varFlag struct {
	g    *GlobalOptions
	file bool
}

func (f varFlag) String() string { return "" }
func (f varFlag) Type() string {
	if f.file {
		return "FILE"
	}
	return "NAME=VALUE"
}
func (f varFlag) Set(v string) error {
	f.g.Vars = append(f.g.Vars, config.VarArg{File: f.file, Value: v})
	return nil
}

func (g *GlobalOptions) addFlags(fs *pflag.FlagSet) {
	// Defaults are the current values, so flags given before the command
	// survive the command's own flag set.
	fs.StringVar(&g.Chdir, "chdir", g.Chdir, "run in `DIR`: the configuration directory (default: the current one)")
	fs.StringVar(&g.DataDir, "data-dir", g.DataDir, "keep certform's own files (selected workspace, pending keys, backend record) in `DIR` (default: $"+DataDirEnv+", else .certform in the configuration directory)")
	fs.StringVar(&g.Kubeconfig, "kubeconfig", g.Kubeconfig, "kubeconfig `FILE` (default: the kubernetes block, $KUBECONFIG, ~/.kube/config, else in-cluster)")
	fs.StringVar(&g.Context, "context", g.Context, "kubeconfig `CONTEXT` to use")
	fs.BoolVar(&g.NoColor, "no-color", g.NoColor, "never colour output")
	fs.Var(varFlag{g: g}, "var", "set a variable (repeatable)")
	fs.Var(varFlag{g: g, file: true}, "var-file", "set variables from an HCL file (repeatable)")
}

// userError is an error with a hint line that says what to do about it.
type userError struct {
	err  error
	hint string
}

func (e *userError) Error() string { return e.err.Error() }
func (e *userError) Unwrap() error { return e.err }

func withHint(err error, hint string) error { return &userError{err: err, hint: hint} }

// errReported marks a failure whose details were already printed
// (diagnostics, per-address failures); Main prints nothing more.
var errReported = errors.New("reported")

type command struct {
	summary string
	run     func(ctx context.Context, g *GlobalOptions, args []string, s Streams) (int, error)
}

var commands = map[string]command{
	"plan":         {"show what apply would do", runPlan},
	"apply":        {"issue, renew and write certificates", runApply},
	"workspace":    {"list, show, create, select and delete workspaces", runWorkspace},
	"init":         {"check the state backend; --migrate-state copies state to a new one", runInit},
	"status":       {"every certificate, most urgent first", runStatus},
	"import":       {"adopt an existing key and certificate", runImport},
	"approve":      {"approve or deny pending CSRs by policy", runApprove},
	"destroy":      {"delete every certificate in state: its CSR and files", runDestroy},
	"validate":     {"check the configuration without contacting the cluster", runValidate},
	"fmt":          {"rewrite configuration files in canonical format", runFmt},
	"show":         {"show a saved plan, or the state", runShow},
	"state":        {"inspect and edit state", runState},
	"output":       {"print the output values recorded by the last apply", runOutput},
	"force-unlock": {"explain or release a stale state lock", runForceUnlock},
	"convert":      {"turn a cfssl CSR JSON into a certificate block", runConvert},
	"version":      {"print the version", runVersion},
}

const usage = `usage: certform [global flags] COMMAND [flags]

commands:
  init       check the state backend (--migrate-state: copy state to a newly configured backend)
  plan       show what apply would do
  apply      issue, renew and write certificates (apply [PLANFILE])
  destroy    delete every certificate in state: its CSR and the files certform wrote
  validate   check the configuration without contacting the cluster
  fmt        rewrite configuration files in canonical format
  convert    turn a cfssl CSR JSON into a certificate block (convert cfssl FILE)
  status     every certificate with expiry and renewal date, most urgent first (--check: exit 3 when due)
  import     adopt an existing key and certificate: import ADDR --key FILE --cert FILE
  approve    approve or deny pending CSRs by policy (approve --policy DIR [--watch] [--dry-run])
  show       show a saved plan (show PLANFILE), or the state
  state      inspect and edit state: list, show ADDR, rm ADDR..., mv FROM TO
  output     the output values of the last apply, for the next CI step (output [NAME] [--json] [--raw])
  force-unlock ID   explain who holds the state lock
  workspace  list, show, new NAME, select NAME, delete NAME: one state per environment
  version    print the version

global flags: --chdir DIR, --data-dir DIR, --kubeconfig FILE, --context NAME, --no-color,
              --var NAME=VALUE, --var-file FILE
environment:  CERTFORM_WORKSPACE, CERTFORM_DATA_DIR, CERTFORM_VAR_name, CERTFORM_LOG (warn, info, debug)
run 'certform COMMAND --help' for a command's flags
`

// Main runs certform with args and returns the exit code.
func Main(args []string, s Streams) int {
	routeKlog(s.Err)
	g := &GlobalOptions{}
	root := pflag.NewFlagSet("certform", pflag.ContinueOnError)
	root.SetInterspersed(false)
	root.SetOutput(io.Discard)
	g.addFlags(root)
	help := root.BoolP("help", "h", false, "")
	if err := root.Parse(args); err != nil {
		return report(s.Err, withHint(err, "run 'certform --help' for usage"))
	}
	rest := root.Args()
	if *help || len(rest) == 0 {
		fmt.Fprint(s.Out, usage)
		return exitOK
	}
	cmd, ok := commands[rest[0]]
	if !ok {
		return report(s.Err, withHint(fmt.Errorf("unknown command %q", rest[0]), "run 'certform --help' for the list of commands"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, stop catching them: a second Ctrl-C ends
		// the process at once, as people expect.
		<-ctx.Done()
		stop()
	}()
	code, err := cmd.run(ctx, g, rest[1:], s)
	if err != nil {
		return report(s.Err, err)
	}
	return code
}

func report(w io.Writer, err error) int {
	if errors.Is(err, errReported) {
		return exitError
	}
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(w, "certform: error: %v\n", err)
	var ue *userError
	if errors.As(err, &ue) && ue.hint != "" {
		fmt.Fprintf(w, "certform: hint: %s\n", ue.hint)
	}
	return exitError
}

// newFlagSet returns a command's flag set, with the global flags added.
func newFlagSet(name string, g *GlobalOptions, s Streams) *pflag.FlagSet {
	fs := pflag.NewFlagSet("certform "+name, pflag.ContinueOnError)
	fs.SetOutput(s.Err)
	g.addFlags(fs)
	return fs
}

// colorizer picks colour for the command's standard output.
func (g *GlobalOptions) colorizer(s Streams) views.Colorizer {
	return views.ColorFor(s.Out, g.NoColor)
}
