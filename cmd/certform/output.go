package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
	"github.com/certform/certform/state"
)

// OutputOptions are output's flags and argument.
type OutputOptions struct {
	JSON bool
	Raw  bool
	Name string
}

var cmdOutput = &command{
	name: "output", args: "[NAME]", summary: "print the output values recorded by the last apply",
	desc: `Prints the output values the last apply recorded in state, for the next CI step: every one,
or the value of NAME. It reads only the kubernetes and backend blocks and the state: no variables,
no var files, and with the local backend no cluster. Listing all hides sensitive values; naming
one shows it, and --json shows every value.`,
	examples: []string{
		"certform output",
		"certform output --json",
		"certform output team_a_cert_file --raw   # the bare string, for $(...)",
	},
	globals: gChdir | gDataDir | gCluster,
	new:     func() Options { return &OutputOptions{} },
}

// AddFlags adds output's flags.
func (o *OutputOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.JSON, "json", false, "print JSON: every output with its type and sensitivity, or the value of NAME")
	fs.BoolVar(&o.Raw, "raw", false, "print the string, number or bool NAME without quotes, for shell scripts")
}

// Complete takes the output's name, if any.
func (o *OutputOptions) Complete(_ *GlobalOptions, args []string) error {
	if len(args) > 1 {
		return withHint(fmt.Errorf("output takes at most one argument, an output name, got %q", args), "certform output [NAME] [--json] [--raw]")
	}
	if len(args) == 1 {
		o.Name = args[0]
	}
	return nil
}

// Validate refuses --raw without a name or with --json.
func (o *OutputOptions) Validate() error {
	if o.Raw && (o.JSON || o.Name == "") {
		return withHint(errors.New("--raw prints one output's value"), "certform output NAME --raw, without --json")
	}
	return nil
}

// Run prints output [NAME] [--json] [--raw]: the output values recorded by
// the last apply.
func (o *OutputOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	name, asJSON, raw := o.Name, &o.JSON, &o.Raw
	st, err := readOutputState(ctx, g, s)
	if err != nil {
		return exitError, err
	}
	outs, err := outputViews(st.Outputs)
	if err != nil {
		return exitError, withHint(err, "the state's outputs are damaged; run certform apply to record them again")
	}
	if name == "" {
		if len(outs) == 0 {
			fmt.Fprintln(s.Err, "certform: warning: no outputs are recorded in state; declare output blocks in the root configuration and run certform apply")
		}
		if *asJSON {
			return exitOK, views.RenderOutputsJSON(s.Out, outs)
		}
		views.RenderOutputs(s.Out, outs)
		return exitOK, nil
	}
	i := slices.IndexFunc(outs, func(o views.Output) bool { return o.Name == name })
	if i < 0 {
		hint := "run certform apply after adding the output block; outputs are recorded by apply"
		if len(outs) > 0 {
			names := make([]string, len(outs))
			for i, o := range outs {
				names[i] = o.Name
			}
			hint = "recorded outputs: " + strings.Join(names, ", ")
			if sug := config.Suggest(name, names); sug != "" {
				hint = "did you mean " + sug + "? " + hint
			}
		}
		return exitError, withHint(fmt.Errorf("no output %q is recorded in state", name), hint)
	}
	switch {
	case *asJSON:
		return exitOK, views.RenderOutputValueJSON(s.Out, outs[i])
	case *raw:
		return exitOK, views.RenderOutputRaw(s.Out, outs[i])
	}
	views.RenderOutputValue(s.Out, outs[i])
	return exitOK, nil
}

// readOutputState reads the selected workspace's state with only the
// configuration's settings blocks.
func readOutputState(ctx context.Context, g *GlobalOptions, s Streams) (*state.State, error) {
	w, err := loadSettings(g, s)
	if err != nil {
		return nil, err
	}
	if err := w.setBackend(); err != nil {
		return nil, err
	}
	if _, err := w.checkBackend(false); err != nil {
		return nil, err
	}
	return w.loadStateUnlocked(ctx, true)
}

// outputViews reads recorded outputs back into values, sorted by name.
func outputViews(recorded map[string]state.Output) ([]views.Output, error) {
	var outs []views.Output
	for _, name := range slices.Sorted(maps.Keys(recorded)) {
		o := recorded[name]
		v, err := config.OutputValueOf(o)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", name, err)
		}
		outs = append(outs, views.Output{Name: name, Value: v, Sensitive: o.Sensitive, Type: o.Type})
	}
	return outs, nil
}

// recordOutputs evaluates the root outputs with the certificate attributes
// of st and records them in st. An output that names a certificate not yet
// issued is left out and named in pending.
func (w *workspace) recordOutputs(st *state.State) (pending []string, err error) {
	if len(w.cfg.OutputValues) == 0 {
		// Nothing to evaluate: loading the configuration again would cost
		// as much as the first load (seconds at 10,000 certificates).
		st.Outputs = nil
		return nil, nil
	}
	// The values the configuration was loaded with, not the arguments
	// again: a --var-file <(...) pipe cannot be read twice.
	in := config.Inputs{Workspace: w.ws, Values: w.cfg.Values, State: st, Dir: w.cfg.Dir}
	cfg, _, diags := config.Load(".", in)
	if diags.HasErrors() {
		return nil, fmt.Errorf("evaluating outputs: %s", diags.Error())
	}
	records, pending, err := config.OutputRecords(cfg)
	if err != nil {
		return nil, err
	}
	st.Outputs = records
	if len(records) == 0 {
		st.Outputs = nil
	}
	return pending, nil
}

// printOutputs shows st's outputs after an apply, sensitive ones hidden,
// as Terraform does; with asJSON as apply --json's last event.
func printOutputs(s Streams, st *state.State, pending []string, asJSON bool) {
	outs, err := outputViews(st.Outputs)
	if err != nil || len(outs) == 0 && len(pending) == 0 {
		return
	}
	if asJSON {
		views.EmitOutputsEvent(s.Out, outs, pending)
		return
	}
	fmt.Fprintln(s.Out, "\nOutputs:")
	fmt.Fprintln(s.Out)
	views.RenderOutputs(s.Out, outs)
	for _, name := range pending {
		fmt.Fprintf(s.Out, "%s = (known after its certificates are issued)\n", name)
	}
}
