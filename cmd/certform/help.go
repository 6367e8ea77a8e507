package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// usageText is certform's usage, generated from the command table.
func usageText() string {
	var b strings.Builder
	b.WriteString("usage: certform [global flags] COMMAND [flags]\n\ncommands:\n")
	width := 0
	for _, name := range commandNames() {
		width = max(width, len(name))
	}
	for _, c := range commandTable() {
		if !c.hidden {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, c.name, c.summary)
		}
	}
	g := &GlobalOptions{}
	fs := pflag.NewFlagSet("certform", pflag.ContinueOnError)
	g.addFlags(fs)
	b.WriteString("\nglobal flags (before or after the command):\n")
	b.WriteString(fs.FlagUsages())
	b.WriteString("\nenvironment:\n" + environmentHelp)
	b.WriteString("\nrun 'certform help COMMAND' (or 'certform COMMAND --help') for a command's description, flags and examples\n")
	return b.String()
}

const environmentHelp = `  CERTFORM_WORKSPACE   the workspace to use (wins over certform workspace select)
  CERTFORM_DATA_DIR    the data directory (default: .certform in the configuration directory)
  CERTFORM_VAR_name    the value of variable name
  CERTFORM_LOG         log detail on stderr: warn (default), info or debug; never key material
  CERTFORM_LOG_PATH    write the log to this file instead of stderr
  NO_COLOR             never colour output (nor does TERM=dumb, nor a non-terminal)
`

// writeCommandHelp writes a command's help: usage line, description,
// examples, its own flags and the global flags that apply to it.
func writeCommandHelp(w io.Writer, c *command, fs *pflag.FlagSet) {
	usage := "certform "
	if c.globals != 0 {
		usage += "[global flags] "
	}
	usage += c.name
	own, global := splitFlags(fs)
	if own.HasAvailableFlags() {
		usage += " [flags]"
	}
	if c.args != "" {
		usage += " " + c.args
	}
	fmt.Fprintf(w, "usage: %s\n\n%s\n", usage, strings.TrimSpace(c.desc))
	if len(c.examples) > 0 {
		fmt.Fprint(w, "\nexamples:\n")
		for _, e := range c.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	if own.HasAvailableFlags() {
		fmt.Fprintf(w, "\nflags:\n%s", own.FlagUsages())
	}
	if global.HasAvailableFlags() {
		fmt.Fprintf(w, "\nglobal flags:\n%s", global.FlagUsages())
	}
}

// splitFlags separates a command's flag set into its own flags and the
// visible global ones.
func splitFlags(fs *pflag.FlagSet) (own, global *pflag.FlagSet) {
	own = pflag.NewFlagSet("own", pflag.ContinueOnError)
	global = pflag.NewFlagSet("global", pflag.ContinueOnError)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if _, ok := globalFlagGroup[f.Name]; ok {
			global.AddFlag(f)
		} else {
			own.AddFlag(f)
		}
	})
	return own, global
}

// HelpOptions are help's: the command to describe, if any.
type HelpOptions struct {
	cmd *command
}

var cmdHelp = &command{
	name: "help", args: "[COMMAND]", summary: "describe certform, or one command: its flags and examples",
	desc:     "Without a command, lists the commands, the global flags and the environment. With one, prints its description, examples and flags, as certform COMMAND --help does.",
	examples: []string{"certform help", "certform help plan"},
	new:      func() Options { return &HelpOptions{} },
}

// AddFlags adds none: help takes only a command name.
func (o *HelpOptions) AddFlags(*pflag.FlagSet) {}

// Complete looks up the command to describe.
func (o *HelpOptions) Complete(_ *GlobalOptions, args []string) error {
	if len(args) > 1 {
		return withHint(fmt.Errorf("help takes at most one command, got %q", args), "certform help COMMAND")
	}
	if len(args) == 1 {
		if o.cmd = lookupCommand(args[0]); o.cmd == nil {
			return unknownCommand(args[0])
		}
	}
	return nil
}

// Validate has nothing to check.
func (o *HelpOptions) Validate() error { return nil }

// Run prints the usage or the command's help.
func (o *HelpOptions) Run(_ context.Context, _ *GlobalOptions, s Streams) (int, error) {
	if o.cmd == nil {
		fmt.Fprint(s.Out, usageText())
		return exitOK, nil
	}
	writeCommandHelp(s.Out, o.cmd, o.cmd.flagSet(&GlobalOptions{}, o.cmd.new()))
	return exitOK, nil
}

// unknownCommand is the error for a command name certform does not know,
// with the closest one it does.
func unknownCommand(name string) error {
	hint := "run 'certform help' for the list of commands"
	if sug := suggest(name, commandNames()); sug != "" {
		hint = fmt.Sprintf("did you mean %q? %s", sug, hint)
	}
	return withHint(fmt.Errorf("unknown command %q", name), hint)
}
