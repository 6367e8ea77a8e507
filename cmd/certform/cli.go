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
	"github.com/certform/certform/internal/workdir"
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
	// Chdir is the configuration directory; certform never changes to it
	// (see enter).
	Chdir      string
	DataDir    string // --data-dir; made absolute, from the working directory, by enter
	Kubeconfig string
	Context    string
	NoColor    bool
	// Vars are --var and --var-file in command-line order.
	Vars []config.VarArg
	// base is Chdir made absolute, once enter found it: the directory the
	// run's relative paths are taken from.
	base workdir.Dir
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
	fs.StringVar(&g.Chdir, "chdir", g.Chdir, "the configuration `DIR`: relative paths are taken from it (default: the current directory)")
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

// Main runs certform with args and returns the exit code.
func Main(args []string, s Streams) int {
	closeLog, err := setupLogging(s.Err)
	if err != nil {
		return report(s.Err, err)
	}
	defer closeLog()
	g := &GlobalOptions{}
	root := pflag.NewFlagSet("certform", pflag.ContinueOnError)
	root.SetInterspersed(false)
	root.SetOutput(io.Discard)
	root.Usage = func() {}
	g.addFlags(root)
	help := root.BoolP("help", "h", false, "")
	// As terraform -version and kubectl --version: the version command.
	showVersion := root.Bool("version", false, "")
	if err := root.Parse(singleDash(args, root, false)); err != nil {
		return report(s.Err, flagError(err, root, ""))
	}
	rest := root.Args()
	if *showVersion && !*help {
		rest = append([]string{"version"}, rest...)
	}
	switch {
	case *help:
		fmt.Fprint(s.Out, usageText())
		return exitOK
	case len(rest) == 0:
		// As terraform and kubectl: a bare certform is a mistake, and says
		// what it could have been.
		fmt.Fprint(s.Err, usageText())
		return exitError
	}
	cmd := lookupCommand(rest[0])
	if cmd == nil {
		return report(s.Err, unknownCommand(rest[0]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		// After the first signal, stop catching them: a second Ctrl-C ends
		// the process at once, as people expect.
		select {
		case <-ctx.Done():
			stop()
			debugf("interrupted: another interrupt ends certform at once")
		case <-finished:
		}
	}()
	// Not the arguments: a --var may hold a keystore password.
	debugf("command %s", cmd.name)
	return runCommand(ctx, cmd, g, rest[1:], s)
}

// runCommand parses the command's flags and takes its options through
// Complete, Validate and Run, as kubectl's commands do.
func runCommand(ctx context.Context, cmd *command, g *GlobalOptions, args []string, s Streams) int {
	o := cmd.new()
	fs := cmd.flagSet(g, o)
	var err error
	if cmd.rawArgs {
		err = fs.Parse(append([]string{"--"}, args...))
	} else {
		err = fs.Parse(singleDash(args, fs, true))
	}
	if errors.Is(err, pflag.ErrHelp) {
		writeCommandHelp(s.Out, cmd, fs)
		return exitOK
	}
	if err != nil {
		return report(s.Err, flagError(err, fs, cmd.name))
	}
	if err := o.Complete(g, fs.Args()); err != nil {
		return report(s.Err, err)
	}
	if err := o.Validate(); err != nil {
		return report(s.Err, err)
	}
	code, err := o.Run(ctx, g, s)
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

// colorizer picks colour for the command's standard output.
func (g *GlobalOptions) colorizer(s Streams) views.Colorizer {
	return views.ColorFor(s.Out, g.NoColor)
}
