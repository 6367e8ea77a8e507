package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/certform/certform/apply"
	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/fault"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// ApplyOptions are apply's flags.
type ApplyOptions struct {
	PlanOptions
	AutoApprove bool
	Parallelism int
	WaitTimeout time.Duration
	NoWait      bool
	JSON        bool
}

func runApply(ctx context.Context, g *GlobalOptions, args []string, s Streams) (int, error) {
	return applyCommand(ctx, g, args, s, false)
}

// destroy: apply a plan that deletes every address in state: the CSR
// objects certform made and the files it wrote that still hold what it
// wrote.
func runDestroy(ctx context.Context, g *GlobalOptions, args []string, s Streams) (int, error) {
	return applyCommand(ctx, g, args, s, true)
}

func applyCommand(ctx context.Context, g *GlobalOptions, args []string, s Streams, destroy bool) (int, error) {
	var o ApplyOptions
	name := map[bool]string{false: "apply", true: "destroy"}[destroy]
	fs := newFlagSet(name, g, s)
	o.addFlags(fs)
	o.Destroy = destroy
	fs.BoolVar(&o.AutoApprove, "auto-approve", false, "apply without asking for confirmation (CI); unrelated to CSR approval, see self_approve")
	fs.IntVar(&o.Parallelism, "parallelism", apply.DefaultParallelism, "how many certificates to work on at once")
	fs.DurationVar(&o.WaitTimeout, "wait-timeout", 15*time.Minute, "how long to wait for each CSR to be approved and signed")
	fs.BoolVar(&o.NoWait, "no-wait", false, "submit CSRs and exit; a later apply collects the certificates")
	fs.BoolVar(&o.JSON, "json", false, "stream one JSON event per line (docs/commands.md); needs --auto-approve or a saved plan")
	if err := fs.Parse(args); err != nil {
		return exitError, err
	}
	if fs.NArg() > 1 || destroy && fs.NArg() > 0 {
		return exitError, withHint(fmt.Errorf("%s takes at most one argument, a saved plan (apply only), got %q", name, fs.Args()), "pass the directory with --chdir")
	}
	planFile := fs.Arg(0)
	if planFile != "" && (len(o.Targets) > 0 || len(o.Replace) > 0 || !o.Refresh) {
		return exitError, withHint(errors.New("--target, --replace and --refresh shape a new plan, not a saved one"), "pass them to certform plan --out instead")
	}
	if o.JSON && !o.AutoApprove && planFile == "" {
		return exitError, withHint(errors.New("apply --json cannot ask for confirmation"), "add --auto-approve, or apply a saved plan")
	}
	if o.Parallelism < 1 {
		return exitError, fmt.Errorf("--parallelism must be at least 1, got %d", o.Parallelism)
	}
	var err error
	var saved *plan.Saved
	if planFile != "" {
		if saved, err = enterAndReadPlan(g, planFile); err != nil {
			return exitError, err
		}
	}
	w, err := openWorkspaceWith(g, s, openOptions{saved: saved})
	if err != nil {
		return exitError, err
	}
	if ctx, err = w.lock(ctx, name, o.LockTimeout); err != nil {
		return exitError, err
	}
	defer w.backend.Unlock()
	prior, err := w.loadState()
	if err != nil {
		return exitError, err
	}
	var view views.ApplyView = &views.HumanApply{ApplyProgress: views.ApplyProgress{W: s.Out, Col: g.colorizer(s)}}
	if o.JSON {
		view = &views.JSONApply{W: s.Out}
	}
	var p *plan.Plan
	if planFile != "" {
		if p, err = loadSavedPlan(planFile, *saved, w, prior); err != nil {
			return exitError, err
		}
		view.Plan(p)
		if p.HasChanges() {
			if err := w.requireAccess(ctx, p, o.NoWait, s); err != nil {
				return exitError, err
			}
		}
	} else {
		if p, err = o.makePlan(ctx, w, prior); err != nil {
			if p != nil {
				view.Plan(p)
			}
			return exitError, err
		}
		view.Plan(p)
		if p.HasChanges() {
			if err := w.requireAccess(ctx, p, o.NoWait, s); err != nil {
				return exitError, err
			}
			if err := confirm(o.AutoApprove, s); err != nil {
				return exitError, err
			}
		}
	}
	// Write the state as loaded: this fixes a new state's lineage (which
	// labels every CSR) before anything can be submitted, and makes a
	// journal left by a killed run part of the state file.
	if err := w.backend.Persist(prior); err != nil {
		return exitError, err
	}
	// Under the lock, no other run is writing these outputs: what a
	// killed run left half-written (key copies among them) can go.
	if _, err := apply.RemoveTemps(w.cfg, prior, w.keys.Dir); err != nil {
		fmt.Fprintf(s.Err, "certform: warning: %v\n", err)
	}
	if !p.HasChanges() {
		return exitOK, nil
	}
	csrs, err := w.csrClient()
	if err != nil {
		return exitError, err
	}
	if !o.JSON {
		fmt.Fprintln(s.Out)
	}
	start := time.Now()
	stopTicker := view.Remind(start, reminderInterval(s.Out))
	final, err := apply.Apply(ctx, p, w.cfg, prior, apply.Options{
		CSRs: csrs, Core: w.cs.CoreV1(), Keys: w.keys, Parallelism: o.Parallelism, WaitTimeout: o.WaitTimeout, NoWait: o.NoWait,
		Record: func(changes map[string]*state.Certificate) error { return w.backend.Record(prior.Lineage, changes) },
		Report: view.Report,
	})
	stopTicker()
	fault.Point(fault.StatePersist)
	if perr := w.backend.Persist(final); perr != nil {
		err = errors.Join(err, perr)
	}
	issued, pending := counts(final)
	elapsed := time.Since(start)
	var lost *state.LockLostError
	if errors.As(context.Cause(ctx), &lost) {
		view.Result("failed", issued, pending, elapsed)
		return exitError, withHint(lost, "another run may hold the state now; what finished is in state: run certform apply again once the cluster answers")
	}
	if ctx.Err() != nil {
		view.Result("interrupted", issued, pending, elapsed)
		return exitError, withHint(errors.New("interrupted; what finished is in state"),
			"run certform apply again: it collects the CSRs left pending with the keys kept for them")
	}
	if err != nil {
		view.Result("failed", issued, pending, elapsed)
		return exitError, withHint(err, "what finished is in state; fix the cause and run certform apply again to continue")
	}
	view.Result("complete", issued, pending, elapsed)
	return exitOK, nil
}

// loadSavedPlan reads a plan --out file and refuses it when the state or
// the configuration changed since it was made.
func loadSavedPlan(path string, saved plan.Saved, w *workspace, prior *state.State) (*plan.Plan, error) {
	if saved.StateDigest != "" && (prior.Serial != 0 || len(prior.Certificates) > 0) {
		if d, err := state.ContentDigest(prior); err != nil {
			return nil, err
		} else if d != saved.StateDigest {
			return nil, withHint(fmt.Errorf("%w: the state changed since it was made", plan.ErrStale),
				"make a new plan with certform plan --out "+path)
		}
	}
	if err := saved.Bind(prior); err != nil {
		return nil, withHint(err, "make a new plan with certform plan --out "+path)
	}
	if saved.ConfigDigest != config.Digest(w.cfg) {
		return nil, withHint(fmt.Errorf("%w: the configuration (or a variable) changed since it was made", plan.ErrStale),
			"make a new plan with certform plan --out "+path)
	}
	return saved.Plan, nil
}

// counts returns how many certificates state holds as issued and pending.
func counts(st *state.State) (issued, pending int) {
	for _, c := range st.Certificates {
		switch c.Status {
		case state.StatusIssued:
			issued++
		case state.StatusPending:
			pending++
		}
	}
	return issued, pending
}

// reminderInterval is how often apply repeats who must approve what:
// every 10 s on a terminal, every minute in a log.
func reminderInterval(w io.Writer) time.Duration {
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		return 10 * time.Second
	}
	return time.Minute
}

// confirm asks for "yes" on a terminal; without one, only --auto-approve
// lets apply go on.
func confirm(auto bool, s Streams) error {
	if auto {
		return nil
	}
	if f, ok := s.In.(*os.File); !ok || !isTerminal(f) {
		return withHint(errors.New("apply needs confirmation, and standard input is not a terminal"),
			"review the plan, then pass --auto-approve to apply without asking (as in CI)")
	}
	fmt.Fprint(s.Out, "\nDo you want to apply these changes? Only 'yes' will be accepted: ")
	line, err := bufio.NewReader(s.In).ReadString('\n')
	if err != nil && err != io.EOF {
		return err
	}
	if strings.TrimSpace(line) != "yes" {
		return errors.New("apply cancelled")
	}
	return nil
}

// isTerminal reports whether f is a terminal (not merely a character
// device: /dev/null is one too).
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// enterAndReadPlan changes to the configuration directory, where a
// relative plan path is, and reads the plan: its variable values and
// workspace are needed to load the configuration.
func enterAndReadPlan(g *GlobalOptions, path string) (*plan.Saved, error) {
	if _, err := g.enter(); err != nil {
		return nil, err
	}
	saved, err := readPlanFile(path)
	if err != nil {
		return nil, err
	}
	return &saved, nil
}

// readPlanFile reads a plan --out file.
func readPlanFile(path string) (plan.Saved, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return plan.Saved{}, fmt.Errorf("reading saved plan: %w", err)
	}
	return plan.DecodeFile(data)
}
