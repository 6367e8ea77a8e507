package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state/statefile"
)

// ShowOptions are show's flags and argument.
type ShowOptions struct {
	JSON     bool
	Markdown bool
	PlanFile string
}

var cmdShow = &command{
	name: "show", args: "[PLANFILE]", summary: "show a saved plan, or the state",
	desc: `With PLANFILE, a plan saved by certform plan --out, shows that plan as plan showed it (--json:
as plan --json; --markdown: for a pull-request comment), warning when apply would refuse it.
Without, shows the state: every certificate recorded, with its files, and the outputs.`,
	examples: []string{
		"certform show",
		"certform show --json   # the state, as state pull prints it",
		"certform show tls.plan --markdown",
	},
	globals: gAll,
	new:     func() Options { return &ShowOptions{} },
}

// AddFlags adds show's flags.
func (o *ShowOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.JSON, "json", false, "print as JSON")
	fs.BoolVar(&o.Markdown, "markdown", false, "print a saved plan as Markdown, for pull-request comments")
}

// Complete takes the saved plan, if any.
func (o *ShowOptions) Complete(_ *GlobalOptions, args []string) error {
	if len(args) > 1 {
		return withHint(fmt.Errorf("show takes at most one argument, got %q", args), "certform show [PLANFILE]")
	}
	if len(args) == 1 {
		o.PlanFile = args[0]
	}
	return nil
}

// Validate has nothing to check.
func (o *ShowOptions) Validate() error { return nil }

// Run shows show [PLANFILE] [--json]: a saved plan, or without one the state.
func (o *ShowOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	var saved *plan.Saved
	if o.PlanFile != "" {
		var err error
		if saved, err = enterAndReadPlan(g, o.PlanFile); err != nil {
			return exitError, err
		}
	}
	w, err := openWorkspaceWith(g, s, openOptions{readOnly: true, saved: saved})
	if err != nil {
		return exitError, err
	}
	prior, err := w.loadStateUnlocked(ctx, true)
	if err != nil {
		return exitError, err
	}
	if o.PlanFile == "" {
		if o.JSON {
			data, err := statefile.Encode(prior)
			if err != nil {
				return exitError, err
			}
			_, err = s.Out.Write(data)
			return exitOK, err
		}
		views.RenderState(s.Out, prior, time.Now())
		printOutputs(s, prior, nil, false)
		return exitOK, nil
	}
	if err := saved.Bind(prior); err != nil {
		fmt.Fprintf(s.Err, "certform: warning: %v\n", err)
	} else if err := saved.Check(w.cfg); err != nil {
		fmt.Fprintf(s.Err, "certform: warning: %v\n", err) // apply would refuse it
	}
	if o.JSON {
		return exitOK, views.WriteJSON(s.Out, views.NewPlanJSON(saved.Plan))
	}
	if o.Markdown {
		views.RenderMarkdown(s.Out, saved.Plan)
		return exitOK, nil
	}
	views.RenderPlan(s.Out, saved.Plan, g.colorizer(s))
	return exitOK, nil
}
