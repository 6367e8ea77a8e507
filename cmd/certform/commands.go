package main

import (
	"context"
	"io"
	"slices"

	"github.com/spf13/pflag"
)

// Options is one run of a command, built as kubectl builds its commands:
// AddFlags registers the command's own flags, Complete takes the
// positional arguments and fills in what follows from them, Validate
// refuses what the command cannot honour before anything is read, and Run
// does the work. Everything up to Run touches neither files nor the
// cluster, so flag and argument errors are tested in process.
type Options interface {
	AddFlags(fs *pflag.FlagSet)
	Complete(g *GlobalOptions, args []string) error
	Validate() error
	Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error)
}

// globals are the groups of global flags a command uses. Every command
// accepts all of them (before or after its name), but its help lists only
// those that change what it does.
type globals uint8

const (
	gChdir   globals = 1 << iota // --chdir
	gDataDir                     // --data-dir
	gCluster                     // --kubeconfig, --context
	gVars                        // --var, --var-file
	gColor                       // --no-color

	gAll = gChdir | gDataDir | gCluster | gVars | gColor
)

// globalFlagGroup maps each global flag to its group.
var globalFlagGroup = map[string]globals{
	"chdir": gChdir, "data-dir": gDataDir, "kubeconfig": gCluster, "context": gCluster,
	"var": gVars, "var-file": gVars, "no-color": gColor,
}

// command is one entry of the command table, from which usage, help and
// completion are generated.
type command struct {
	name     string
	args     string // the positional arguments, as the usage line writes them
	summary  string // one line, for the list of commands
	desc     string // paragraphs for certform help NAME
	examples []string
	globals  globals
	hidden   bool // not listed (__complete)
	rawArgs  bool // takes every word as an argument, flags too (__complete)
	new      func() Options
}

// flagSet is the command's flag set: its own flags and the global ones,
// those that do not apply to it hidden from its help.
func (c *command) flagSet(g *GlobalOptions, o Options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("certform "+c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	g.addFlags(fs)
	for name, group := range globalFlagGroup {
		if c.globals&group == 0 {
			fs.MarkHidden(name)
		}
	}
	o.AddFlags(fs)
	return fs
}

// lookupCommand returns the command called name, or nil.
func lookupCommand(name string) *command {
	for _, c := range commandTable() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// commandNames are the names of the listed commands, in table order.
func commandNames() []string {
	var names []string
	for _, c := range commandTable() {
		if !c.hidden {
			names = append(names, c.name)
		}
	}
	return names
}

// commandTable is every command, in the order usage lists them. It is a
// function, not a variable, since help and completion are commands that
// read it.
func commandTable() []*command {
	return slices.Clone(commandList)
}

var commandList []*command

func init() {
	commandList = []*command{
		cmdInit, cmdValidate, cmdFmt, cmdConvert, cmdPlan, cmdApply, cmdDestroy,
		cmdShow, cmdStatus, cmdImport, cmdApprove, cmdState, cmdOutput,
		cmdForceUnlock, cmdWorkspace, cmdVersion, cmdCompletion, cmdHelp, cmdComplete,
	}
}
