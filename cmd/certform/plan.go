package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/internal/samefile"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/refresh/observed"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/statefile"
)

// PlanOptions are the flags shared by plan and apply for making a plan.
type PlanOptions struct {
	Refresh           bool
	Destroy           bool // plan to delete everything in state
	AllowTrustRemoval bool
	Targets           []string
	Replace           []string
	LockTimeout       time.Duration
	// Rebind names the clusters whose identity changed on purpose: their
	// records take the identity of the cluster reached now (fleets).
	Rebind []string
}

func (o *PlanOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Refresh, "refresh", true, "read files and CSR objects before planning (--refresh=false: plan from state alone)")
	fs.StringArrayVar(&o.Targets, "target", nil, "limit the plan to `ADDR` (repeatable)")
	fs.StringArrayVar(&o.Replace, "replace", nil, "force reissue of `ADDR` (repeatable)")
	fs.DurationVar(&o.LockTimeout, "lock-timeout", 0, "how long to wait for the state lock")
	fs.BoolVar(&o.AllowTrustRemoval, "allow-trust-removal", false, "let a CA bundle drop a CA that managed certificates still chain only to")
	o.addRebindFlag(fs)
}

// addRebindFlag adds --rebind-cluster, which plan, apply and destroy take.
func (o *PlanOptions) addRebindFlag(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.Rebind, "rebind-cluster", nil, "take the cluster `NAME` now reaches as the one its records were applied to (it was rebuilt or replaced on purpose; docs/fleets.md)")
}

// addDestroyFlags adds the plan flags that mean something to destroy,
// which deletes and never issues: no --replace.
func (o *PlanOptions) addDestroyFlags(fs *pflag.FlagSet) {
	o.Refresh = true
	fs.BoolVar(&o.Refresh, "refresh", true, "read files and CSR objects before planning (--refresh=false: plan from state alone)")
	fs.StringArrayVar(&o.Targets, "target", nil, "limit the destruction to `ADDR` (repeatable)")
	fs.DurationVar(&o.LockTimeout, "lock-timeout", 0, "how long to wait for the state lock")
	fs.BoolVar(&o.AllowTrustRemoval, "allow-trust-removal", false, "let a CA bundle drop a CA that certificates left in place still chain only to")
	o.addRebindFlag(fs)
}

// makePlan observes the world and plans; the caller holds the state lock.
func (o *PlanOptions) makePlan(ctx context.Context, w *workspace, prior *state.State) (*plan.Plan, error) {
	opts := plan.Options{Targets: o.Targets, Replace: o.Replace, Destroy: o.Destroy, AllowTrustRemoval: o.AllowTrustRemoval}
	if err := plan.CheckOptions(w.cfg, prior, opts); err != nil {
		return nil, withHint(err, "certform state list shows the addresses in state; quote an instance key for the shell: --replace 'certificate.NAME[\"KEY\"]'")
	}
	if err := w.checkRefactors(prior); err != nil {
		return nil, err
	}
	if o.Refresh {
		w.fileIndex = w.loadFileIndex()
	}
	if !o.Destroy {
		// The check's lstat of each output serves the refresh's file index too.
		if err := samefile.CheckSeeing(w.cfg, w.keys.Dir, w.fileIndex.Seen); err != nil {
			return nil, withHint(err, "each output needs a file of its own, apart from certform's state and .certform directory")
		}
	}
	var p *plan.Plan
	if o.Refresh {
		f, err := w.openFleet(ctx, prior, o.Rebind, true)
		if err != nil {
			return nil, err
		}
		w.fleet = f
		p, err = w.planFleet(ctx, f, prior, opts, time.Now())
		w.saveFileIndex(w.fileIndex)
		if err != nil {
			return nil, err
		}
	} else {
		p = plan.Make(w.cfg, prior, observed.World{}, time.Now(), opts)
	}
	for _, c := range p.Changes {
		debugf("plan: %s %s", c.Addr, c.Action)
	}
	if err := w.verifyImports(ctx, p, o.Refresh); err != nil {
		return nil, err
	}
	if len(p.Conflicts) > 0 {
		return p, withHint(fmt.Errorf("the plan has %d conflict(s), listed above: it would overwrite objects certform did not create", len(p.Conflicts)),
			"certform never takes over a Secret or ConfigMap it did not create unless its block says adopt = true (docs/configuration.md)")
	}
	if len(p.Blocked) > 0 {
		return p, withHint(fmt.Errorf("the plan would remove trust that certificates still rely on:\n  %s", strings.Join(p.Blocked, "\n  ")),
			"rotate with an overlap: add the new CA to the bundle, reissue (certform apply --replace ADDR), then drop the old CA; or pass --allow-trust-removal")
	}
	return p, nil
}

// PlanCommandOptions are plan's flags.
type PlanCommandOptions struct {
	PlanOptions
	DetailedExitcode bool
	JSON             bool
	Format           string
	Out              string
	Lock             bool
	Policy           string
}

var cmdPlan = &command{
	name: "plan", summary: "show what apply would do",
	desc: `Reads the configuration, the state and (unless --refresh=false) the files and CSR objects
they name, and shows what apply would do: which certificates it would issue, renew, reissue,
rewrite or delete, and why. plan changes nothing (it only updates the data directory's file
index, a cache of output files' hashes); --out saves the plan, with the variable values, for
certform apply PLANFILE to carry out exactly.`,
	examples: []string{
		"certform plan",
		"certform plan --out tls.plan && certform apply tls.plan",
		"certform plan --detailed-exitcode --format markdown   # exit 2 when there are changes",
		"certform plan --replace 'certificate.web[\"a\"]' --target certificate.web",
	},
	globals: gAll,
	new:     func() Options { return &PlanCommandOptions{} },
}

// AddFlags adds plan's flags.
func (o *PlanCommandOptions) AddFlags(fs *pflag.FlagSet) {
	o.addFlags(fs)
	fs.BoolVar(&o.DetailedExitcode, "detailed-exitcode", false, "exit 2 when there are changes, 0 when there are none")
	fs.BoolVar(&o.JSON, "json", false, "print the plan as JSON (docs/plan-json.md); the same as --format=json")
	fs.StringVar(&o.Format, "format", "text", "output `FORMAT`: text, json or markdown (for pull-request comments)")
	fs.StringVar(&o.Out, "out", "", "save the plan to `FILE` for certform apply FILE; it carries the variable values, so apply needs none")
	// Plans read state without the lock by default (docs/teams.md): a
	// plan writes nothing, state is only ever replaced whole, and a saved
	// plan is refused when the state moved on; waiting instead would hold
	// a pull request's plan behind an apply that waits for a human.
	fs.BoolVar(&o.Lock, "lock", false, "take the state lock while planning (--lock-timeout: how long to wait for it)")
	fs.StringVar(&o.Policy, "policy", "", "predict what certform approve --policy `DIR` would decide on each CSR the plan submits")
}

// Complete refuses arguments: plan takes none.
func (o *PlanCommandOptions) Complete(_ *GlobalOptions, args []string) error {
	if len(args) > 0 {
		return withHint(fmt.Errorf("plan takes no arguments, got %q", args), "pass the directory with --chdir")
	}
	if o.JSON {
		o.Format = "json"
	}
	return nil
}

// Validate checks --format.
func (o *PlanCommandOptions) Validate() error {
	if o.Format != "text" && o.Format != "json" && o.Format != "markdown" {
		return fmt.Errorf("unknown --format %q: use text, json or markdown", o.Format)
	}
	return nil
}

// Run plans and prints the plan.
func (o *PlanCommandOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	chdir := g.Chdir // the saved-plan hint repeats it
	open := openOptions{readOnly: true}
	if o.Format == "json" {
		open.jsonDiags = s.Out // a configuration's errors, in the JSON stream too
	}
	w, err := openWorkspaceWith(g, s, open)
	if err != nil {
		return exitError, err
	}
	if o.Lock {
		if ctx, err = w.lock(ctx, "plan", o.LockTimeout); err != nil {
			return exitError, err
		}
		defer w.backend.Unlock(context.WithoutCancel(ctx))
	}
	prior, err := w.loadStateUnlocked(ctx, !o.Lock)
	if err != nil {
		return exitError, err
	}
	var stateDigest string // only a saved plan needs it: digesting a large state costs as much as reading it
	if o.Out != "" {
		if stateDigest, err = statefile.ContentDigest(prior); err != nil {
			return exitError, err
		}
	}
	p, err := o.makePlan(ctx, w, prior)
	if err == nil && w.fleet != nil {
		err = w.fleet.err("planned") // the plan shows the clusters that could be planned
	}
	if err != nil {
		if p != nil {
			views.RenderPlan(s.Out, p, g.colorizer(s))
		}
		return exitError, err
	}
	if o.Policy != "" {
		if err := predictApprovals(ctx, w, p, o.Policy, s); err != nil {
			return exitError, err
		}
	}
	if o.Out != "" {
		data, err := plan.EncodeFile(plan.Saved{Plan: p, ConfigDigest: config.Digest(w.cfg),
			Variables: w.cfg.Values, Workspace: w.ws, StateDigest: stateDigest})
		if err != nil {
			return exitError, err
		}
		if err := atomicfile.Write(w.cfg.Dir.Path(o.Out), data, 0o600); err != nil { // as Terraform's -out after -chdir
			return exitError, err
		}
	}
	if o.Refresh && p.HasChanges() {
		defer w.warnAccess(ctx, p, s)
	}
	switch o.Format {
	case "json":
		if err := views.WriteJSON(s.Out, views.NewPlanJSON(p)); err != nil {
			return exitError, err
		}
	case "markdown":
		views.RenderMarkdown(s.Out, p)
	default:
		views.RenderPlan(s.Out, p, g.colorizer(s))
		if o.Out != "" {
			fmt.Fprintf(s.Out, "\nSaved the plan to %s. Apply exactly it with: %s\n", o.Out, applySavedCommand(chdir, o.Out))
		}
	}
	if o.DetailedExitcode && p.HasChanges() {
		return exitChanges, nil
	}
	return exitOK, nil
}
