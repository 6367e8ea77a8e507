package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/certform/certform/state"
	"github.com/certform/certform/state/statefile"
)

// stateArgs is what one state subcommand takes.
type stateArgs struct {
	min, max int    // max < 0: any number
	names    string // the arguments as the usage line writes them
	what     string // what they are, in words
}

var stateSubcommands = map[string]stateArgs{
	"list": {0, 0, "", ""},
	"show": {1, 1, "ADDR", "the address to show"},
	"rm":   {1, -1, "ADDR...", "one or more addresses to remove"},
	"mv":   {2, 2, "FROM TO", "the address to move and its new address"},
	"pull": {0, 0, "", ""},
	"push": {1, 1, "FILE", "the state file to push"},
}

// checkStateArgs refuses an unknown subcommand or a wrong number of
// arguments, saying what the subcommand needs, before anything is loaded.
func checkStateArgs(sub string, args []string) error {
	a, ok := stateSubcommands[sub]
	if !ok {
		return withHint(fmt.Errorf("unknown state command %q", sub), didYouMean(sub, slices.Collect(maps.Keys(stateSubcommands)), stateUsage))
	}
	n := len(args)
	if n >= a.min && (a.max < 0 || n <= a.max) {
		return nil
	}
	usage := strings.TrimSpace("certform state " + sub + " " + a.names)
	if sub == "push" {
		usage = "certform state push [--force] FILE"
	}
	if a.max == 0 {
		return withHint(fmt.Errorf("state %s takes no arguments, got %d: %s", sub, n, strings.Join(args, " ")), "usage: "+usage)
	}
	return withHint(fmt.Errorf("state %s needs %s (%s), got %d argument(s)", sub, a.what, a.names, n), "usage: "+usage)
}

// sameSerial handles a pushed state at the current serial: the same
// content is already there, and different content means both were changed
// from one state, which neither newer nor older describes.
func sameSerial(w *workspace, current, pushed *state.State, path string, s Streams) (int, error) {
	have, err := statefile.ContentDigest(current)
	if err != nil {
		return exitError, err
	}
	got, err := statefile.ContentDigest(pushed)
	if err != nil {
		return exitError, err
	}
	if have == got {
		fmt.Fprintf(s.Out, "%s is the state in %s already (serial %d); nothing to push.\n", path, w.backend.Describe(), current.Serial)
		return exitOK, nil
	}
	return exitError, withHint(fmt.Errorf("%s has the same serial %d as the state in %s, but different content: both were changed from the same state",
		path, pushed.Serial, w.backend.Describe()), "pull the current state and reconcile the two, or pass --force to replace it")
}
