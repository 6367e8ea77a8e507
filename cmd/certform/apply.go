package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/certform/certform/apply"
	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/fault"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend"
	"github.com/certform/certform/state/statefile"
)

// ApplyOptions are apply's and destroy's flags and arguments.
type ApplyOptions struct {
	PlanOptions
	AutoApprove bool
	Parallelism int
	WaitTimeout time.Duration
	NoWait      bool
	JSON        bool
	// PlanFile is the saved plan to apply, if any.
	PlanFile string
	name     string // apply or destroy
}

var cmdApply = &command{
	name: "apply", args: "[PLANFILE]", summary: "issue, renew and write certificates",
	desc: `Makes a plan as certform plan does, shows it and asks for "yes" (--auto-approve: does not ask),
then carries it out: submits a CSR for each certificate to issue, waits for it to be approved and
signed, and writes the key and certificate files, Secrets and bundles. With PLANFILE, a plan saved
by certform plan --out, it carries out exactly that plan without asking, and refuses it when the
configuration or the state changed since. What finished is recorded in state as it finishes.`,
	examples: []string{
		"certform apply",
		"certform apply --auto-approve --json   # in CI: one JSON event per line",
		"certform plan --out tls.plan && certform apply tls.plan",
		"certform apply --no-wait   # submit CSRs; a later apply collects them",
	},
	globals: gAll,
	new:     func() Options { return &ApplyOptions{name: "apply"} },
}

var cmdDestroy = &command{
	name: "destroy", summary: "delete every certificate in state: its CSR and the files certform wrote",
	desc: `Plans to delete every address in state (--target: only those), shows the plan and asks for "yes",
then deletes each one's CSR object and the files certform wrote. A file edited since certform
wrote it is left, with a warning, as are certform's own and configuration files.`,
	examples: []string{
		"certform destroy",
		"certform destroy --target certificate.old --auto-approve",
	},
	globals: gAll,
	new:     func() Options { return &ApplyOptions{name: "destroy"} },
}

// AddFlags adds apply's flags, or destroy's: those that mean something to
// a run that deletes and never issues.
func (o *ApplyOptions) AddFlags(fs *pflag.FlagSet) {
	destroy := o.name == "destroy"
	o.Destroy = destroy
	if destroy {
		o.addDestroyFlags(fs)
		o.Parallelism, o.WaitTimeout = apply.DefaultParallelism, 15*time.Minute // nothing is waited for
	} else {
		o.addFlags(fs)
		fs.IntVar(&o.Parallelism, "parallelism", apply.DefaultParallelism, "how many certificates to work on at once")
		fs.DurationVar(&o.WaitTimeout, "wait-timeout", 15*time.Minute, "how long to wait for each CSR to be approved and signed: more than 0, at most 24h (to not wait, pass --no-wait)")
		fs.BoolVar(&o.NoWait, "no-wait", false, "submit CSRs and exit; a later apply collects the certificates")
	}
	fs.BoolVar(&o.AutoApprove, "auto-approve", false, o.name+" without asking for confirmation (CI); unrelated to CSR approval, see self_approve")
	fs.BoolVar(&o.JSON, "json", false, "stream one JSON event per line (docs/commands.md); needs --auto-approve"+map[bool]string{false: " or a saved plan", true: ""}[destroy])
}

// Complete takes the saved plan, apply's only argument.
func (o *ApplyOptions) Complete(_ *GlobalOptions, args []string) error {
	if o.Destroy && len(args) > 0 {
		return withHint(fmt.Errorf("destroy takes no arguments, got %q", args), "pass the directory with --chdir")
	}
	if len(args) > 1 {
		return withHint(fmt.Errorf("apply takes at most one argument, a saved plan, got %q", args), "pass the directory with --chdir")
	}
	if len(args) == 1 {
		o.PlanFile = args[0]
	}
	return nil
}

// Validate refuses flag combinations and values apply cannot honour.
func (o *ApplyOptions) Validate() error {
	if o.PlanFile != "" && (len(o.Targets) > 0 || len(o.Replace) > 0 || !o.Refresh) {
		return withHint(errors.New("--target, --replace and --refresh shape a new plan, not a saved one"), "pass them to certform plan --out instead")
	}
	if o.JSON && !o.AutoApprove && o.PlanFile == "" {
		hint := "add --auto-approve, or apply a saved plan"
		if o.Destroy {
			hint = "add --auto-approve"
		}
		return withHint(fmt.Errorf("%s --json cannot ask for confirmation", o.name), hint)
	}
	return o.check()
}

// Run applies the plan.
func (o *ApplyOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	name, destroy, planFile := o.name, o.Destroy, o.PlanFile
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
	defer w.backend.Unlock(context.WithoutCancel(ctx))
	prior, err := w.loadState(ctx)
	if err != nil {
		return exitError, err
	}
	var view views.ApplyView = &views.HumanApply{ApplyProgress: views.ApplyProgress{W: s.Out, Col: g.colorizer(s), InPlace: outIsTerminal(s)},
		Command: name}
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
			if w.fleet, err = w.openFleet(ctx, prior, o.Rebind, true); err != nil {
				return exitError, err
			}
			if err := w.requireFleetAccess(ctx, p, o.NoWait, s); err != nil {
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
		if p.HasChanges() && w.fleet == nil { // --refresh=false: the clusters are reached only now
			if w.fleet, err = w.openFleet(ctx, prior, o.Rebind, false); err != nil {
				return exitError, err
			}
		}
		if p.HasChanges() {
			if err := w.requireFleetAccess(ctx, p, o.NoWait, s); err != nil {
				return exitError, err
			}
		}
	}
	// The clusters left out are named before the question, so that "yes"
	// is said knowing what will not be applied.
	w.fleet.warnUnverified(s)
	fleetErr := w.fleet.err(map[bool]string{false: "applied", true: "destroyed"}[destroy])
	if fleetErr != nil {
		fmt.Fprintf(s.Err, "certform: error: %v\n", fleetErr)
	}
	if planFile == "" && w.fleet.hasChanges(p) {
		if err := confirm(name, o.AutoApprove, s); err != nil {
			return exitError, err
		}
	}
	// Write the state as loaded: this fixes a new state's lineage (which
	// labels every CSR) before anything can be submitted, and makes a
	// journal left by a killed run part of the state file.
	w.fleet.bind(prior) // records from before fleets adopt their cluster's identity
	outputsPending, oerr := w.outputsFor(prior, destroy, s)
	if err := w.backend.Persist(ctx, prior); err != nil {
		return exitError, err
	}
	// Under the lock, no other run is writing these outputs: what a
	// killed run left half-written (key copies among them) can go.
	if _, err := apply.RemoveTemps(w.cfg, prior, w.keys.Dir); err != nil {
		fmt.Fprintf(s.Err, "certform: warning: %v\n", err)
	}
	if !p.HasChanges() {
		if fleetErr != nil {
			return exitError, errReported
		}
		if oerr == nil {
			printOutputs(s, prior, outputsPending, o.JSON)
		}
		return exitOK, nil
	}
	if !o.JSON {
		fmt.Fprintln(s.Out)
	}
	start := time.Now()
	stopTicker := view.Remind(start, reminderInterval(s.Out))
	var n runCounts
	final, err := w.applyFleet(ctx, p, prior, apply.Options{
		Keys: w.keys, Parallelism: o.Parallelism, WaitTimeout: o.WaitTimeout, NoWait: o.NoWait,
		Record: func(changes map[string]*state.Certificate) error {
			return w.backend.Record(context.WithoutCancel(ctx), prior.Lineage, changes)
		},
		Report: n.counting(view.Report),
	})
	stopTicker()
	outputsPending, oerr = w.outputsFor(final, destroy, s)
	fault.Point(fault.StatePersist)
	perr := w.backend.Persist(context.WithoutCancel(ctx), final) // an interrupted run still records what it did
	issued, pending := n.get()
	elapsed := time.Since(start)
	var lost *backend.LockLostError
	if errors.As(context.Cause(ctx), &lost) {
		view.Result("failed", issued, pending, elapsed)
		return exitError, withHint(lost, "another run may hold the state now; what finished is in state: run certform "+name+" again once the cluster answers")
	}
	if fleetErr != nil {
		err = errors.Join(err, errors.New("left out of this run: "+w.fleet.failedNames()))
	}
	code, err := applyResult(name, ctx.Err() != nil, err, perr, view, issued, pending, elapsed)
	if code == exitOK && oerr == nil {
		printOutputs(s, final, outputsPending, o.JSON)
	}
	return code, err
}

// outputsFor records the root outputs in st (none after destroy, as in
// Terraform), warning when they cannot be evaluated; the state keeps the
// outputs it had then.
func (w *workspace) outputsFor(st *state.State, destroy bool, s Streams) ([]string, error) {
	if destroy {
		st.Outputs = nil
		return nil, nil
	}
	pending, err := w.recordOutputs(st)
	if err != nil {
		fmt.Fprintf(s.Err, "certform: warning: outputs not recorded: %v\n", err)
	}
	return pending, err
}

// check refuses flag values apply cannot honour.
func (o *ApplyOptions) check() error {
	if o.Parallelism < 1 || o.Parallelism > apply.MaxParallelism {
		return fmt.Errorf("--parallelism must be between 1 and %d, got %d", apply.MaxParallelism, o.Parallelism)
	}
	if o.WaitTimeout <= 0 {
		return withHint(fmt.Errorf("--wait-timeout must be more than 0, got %s", o.WaitTimeout),
			"to submit CSRs without waiting for them, pass --no-wait; a later apply collects them")
	}
	if o.WaitTimeout > maxWaitTimeout {
		return withHint(fmt.Errorf("--wait-timeout must be at most %s, got %s", maxWaitTimeout, o.WaitTimeout),
			"the cluster deletes a CSR still pending after 24h; pass --no-wait and run apply again later instead")
	}
	return nil
}

// maxWaitTimeout is how long the kube-controller-manager keeps a pending
// CSR: waiting longer would wait for an object that is gone.
const maxWaitTimeout = 24 * time.Hour

// applyResult prints the outcome line and the error with a hint that is
// true for what happened: per-address failures were printed as they
// happened and are only counted here; the hint never says that what
// finished is in state when the state could not be written.
func applyResult(name string, interrupted bool, err, perr error, view views.ApplyView, issued, pending int, elapsed time.Duration) (int, error) {
	failed, other := apply.Failures(err)
	if perr != nil {
		other = append(other, perr)
	}
	switch {
	case interrupted:
		view.Result("interrupted", issued, pending, elapsed)
	case err != nil || perr != nil:
		view.Result("failed", issued, pending, elapsed)
	default:
		view.Result("complete", issued, pending, elapsed)
		return exitOK, nil
	}
	if interrupted {
		// The addresses stopped by the interruption were shown as they
		// stopped; only what the run could not write is added.
		failed, other = nil, nil
		if perr != nil {
			other = append(other, perr)
		}
	}
	if len(failed) > 0 {
		addrs := make([]string, len(failed))
		for i, f := range failed {
			addrs[i] = f.Addr
		}
		other = append(other, fmt.Errorf("%d %s failed (reported above): %s", len(failed),
			map[bool]string{true: "certificate", false: "certificates"}[len(failed) == 1], strings.Join(addrs, ", ")))
	}
	if interrupted && perr == nil {
		if name == "destroy" {
			return exitError, withHint(errors.New("interrupted; what finished is in state"), "run certform destroy again to delete the rest")
		}
		return exitError, withHint(errors.New("interrupted; what finished is in state"),
			"run certform apply again: it collects the CSRs left pending with the keys kept for them")
	}
	if interrupted {
		other = append([]error{errors.New("interrupted")}, other...)
	}
	final := errors.Join(other...)
	var rejected *apply.RejectedError
	switch {
	case perr != nil:
		if name == "destroy" {
			return exitError, withHint(final, "the state could not be written, so what this run deleted may not be recorded; fix the cause and run certform destroy again")
		}
		return exitError, withHint(final, "the state could not be written, so what this run finished may not be recorded; "+
			"fix the cause and run certform apply again: it collects the CSRs it finds with the keys kept for them")
	case errors.As(err, &rejected):
		addr := rejectedAddr(failed)
		return exitError, withHint(final, "collecting the same CSR again gets the same certificate: fix the signer or the ca_bundle, "+
			"then submit a new CSR with certform apply --replace "+addr)
	}
	return exitError, withHint(final, "what finished is in state; fix the cause and run certform "+name+" again to continue")
}

// rejectedAddr names the first address whose certificate was rejected.
func rejectedAddr(failed []*apply.AddrError) string {
	for _, f := range failed {
		var rejected *apply.RejectedError
		if errors.As(f, &rejected) {
			return f.Addr
		}
	}
	return "ADDR"
}

// runCounts counts the certificates this run issued and left pending, from
// its progress events (state holds those of earlier runs too).
type runCounts struct {
	mu              sync.Mutex
	issued, pending int
}

func (n *runCounts) counting(report func(apply.Event)) func(apply.Event) {
	return func(ev apply.Event) {
		n.mu.Lock()
		switch ev.Phase {
		case apply.PhaseIssued:
			n.issued++
		case apply.PhasePending:
			n.pending++
		}
		n.mu.Unlock()
		debugf("apply: %s %s csr=%s %s", ev.Addr, ev.Phase, ev.CSRName, ev.Message)
		report(ev)
	}
}

func (n *runCounts) get() (issued, pending int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.issued, n.pending
}

// loadSavedPlan reads a plan --out file and refuses it when the state or
// the configuration changed since it was made.
func loadSavedPlan(path string, saved plan.Saved, w *workspace, prior *state.State) (*plan.Plan, error) {
	if saved.StateDigest != "" && (prior.Serial != 0 || len(prior.Certificates) > 0) {
		if d, err := statefile.ContentDigest(prior); err != nil {
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
	if err := saved.Check(w.cfg); err != nil {
		return nil, withHint(err, "make a new plan with certform plan --out "+path)
	}
	return saved.Plan, nil
}

// outIsTerminal reports whether standard output is a terminal that can
// rewrite a line (not TERM=dumb).
func outIsTerminal(s Streams) bool {
	f, ok := s.Out.(*os.File)
	return ok && isTerminal(f) && !views.DumbTerminal()
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
func confirm(name string, auto bool, s Streams) error {
	if auto {
		return nil
	}
	if f, ok := s.In.(*os.File); !ok || !isTerminal(f) {
		return withHint(fmt.Errorf("%s needs confirmation, and standard input is not a terminal", name),
			"review the plan, then pass --auto-approve to "+name+" without asking (as in CI)")
	}
	question := "Do you want to apply these changes?"
	if name == "destroy" {
		question = "Do you really want to delete every certificate in state, its CSR and the files certform wrote?"
	}
	fmt.Fprint(s.Out, "\n"+question+" Only 'yes' will be accepted: ")
	line, err := bufio.NewReader(s.In).ReadString('\n')
	if err != nil && err != io.EOF {
		return err
	}
	if strings.TrimSpace(line) != "yes" {
		return fmt.Errorf("%s cancelled", name)
	}
	return nil
}

// isTerminal reports whether f is a terminal (not merely a character
// device: /dev/null is one too).
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// enterAndReadPlan finds the configuration directory, where a relative
// plan path is (as Terraform's -chdir), and reads the plan: its variable
// values and workspace are needed to load the configuration.
func enterAndReadPlan(g *GlobalOptions, path string) (*plan.Saved, error) {
	if _, err := g.enter(); err != nil {
		return nil, err
	}
	saved, err := readPlanFile(g.base, path)
	if err != nil {
		return nil, err
	}
	return &saved, nil
}

// readPlanFile reads a plan --out file, a relative path from dir.
func readPlanFile(dir workdir.Dir, path string) (plan.Saved, error) {
	data, err := limits.ReadFile(dir.Path(path), limits.StateFile)
	if err != nil {
		return plan.Saved{}, fmt.Errorf("reading saved plan: %w", err)
	}
	saved, err := plan.DecodeFile(data)
	if err != nil {
		return plan.Saved{}, withHint(err, "make a new plan with certform plan --out "+path)
	}
	return saved, nil
}
