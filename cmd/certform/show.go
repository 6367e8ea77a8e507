package main

import (
	"context"
	"fmt"
	"time"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state/statefile"
)

// show [PLANFILE] [--json]: a saved plan, or without one the state.
func runShow(ctx context.Context, g *GlobalOptions, args []string, s Streams) (int, error) {
	fs := newFlagSet("show", g, s)
	asJSON := fs.Bool("json", false, "print as JSON")
	markdown := fs.Bool("markdown", false, "print a saved plan as Markdown, for pull-request comments")
	if err := fs.Parse(args); err != nil {
		return exitError, err
	}
	if fs.NArg() > 1 {
		return exitError, withHint(fmt.Errorf("show takes at most one argument, got %q", fs.Args()), "certform show [PLANFILE]")
	}
	var saved *plan.Saved
	if fs.NArg() == 1 {
		var err error
		if saved, err = enterAndReadPlan(g, fs.Arg(0)); err != nil {
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
	if fs.NArg() == 0 {
		if *asJSON {
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
	if *asJSON {
		return exitOK, views.WriteJSON(s.Out, views.NewPlanJSON(saved.Plan))
	}
	if *markdown {
		views.RenderMarkdown(s.Out, saved.Plan)
		return exitOK, nil
	}
	views.RenderPlan(s.Out, saved.Plan, g.colorizer(s))
	return exitOK, nil
}
