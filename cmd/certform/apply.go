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
	"github.com/certform/certform/state"
)

// ApplyOptions are apply's flags.
type ApplyOptions struct {
	PlanOptions
	AutoApprove bool
	Parallelism int
	WaitTimeout time.Duration
	NoWait      bool
}

func runApply(ctx context.Context, g *GlobalOptions, args []string, s Streams) (int, error) {
	var o ApplyOptions
	fs := newFlagSet("apply", g, s)
	o.addFlags(fs)
	fs.BoolVar(&o.AutoApprove, "auto-approve", false, "apply without asking for confirmation (CI); unrelated to CSR approval, see self_approve")
	fs.IntVar(&o.Parallelism, "parallelism", apply.DefaultParallelism, "how many certificates to work on at once")
	fs.DurationVar(&o.WaitTimeout, "wait-timeout", 15*time.Minute, "how long to wait for each CSR to be approved and signed")
	fs.BoolVar(&o.NoWait, "no-wait", false, "submit CSRs and exit; a later apply collects the certificates")
	if err := fs.Parse(args); err != nil {
		return exitError, err
	}
	if fs.NArg() > 0 {
		return exitError, withHint(fmt.Errorf("apply takes no arguments, got %q", fs.Args()), "pass the directory with --chdir")
	}
	if o.Parallelism < 1 {
		return exitError, fmt.Errorf("--parallelism must be at least 1, got %d", o.Parallelism)
	}
	w, err := openWorkspace(g, s)
	if err != nil {
		return exitError, err
	}
	if err := w.lock(ctx, "apply", o.LockTimeout); err != nil {
		return exitError, err
	}
	defer w.backend.Unlock()
	prior, err := w.loadState()
	if err != nil {
		return exitError, err
	}
	p, err := o.makePlan(ctx, w, prior)
	if err != nil {
		return exitError, err
	}
	col := g.colorizer(s)
	views.RenderPlan(s.Out, p, col)
	if !p.HasChanges() {
		return exitOK, nil
	}
	if err := confirm(o.AutoApprove, s); err != nil {
		return exitError, err
	}
	csrs, err := w.csrClient()
	if err != nil {
		return exitError, err
	}
	progress := &views.ApplyProgress{W: s.Out, Col: col}
	fmt.Fprintln(s.Out)
	start := time.Now()
	final, err := apply.Apply(ctx, p, w.cfg, prior, apply.Options{
		CSRs: csrs, Keys: w.keys, Parallelism: o.Parallelism, WaitTimeout: o.WaitTimeout, NoWait: o.NoWait,
		Persist: w.backend.Persist, Report: progress.Report,
	})
	if perr := w.backend.Persist(final); perr != nil {
		err = errors.Join(err, perr)
	}
	summary := applySummary(final, time.Since(start))
	if err != nil {
		fmt.Fprintln(s.Out, col.Red("Apply failed.")+" "+summary)
		return exitError, withHint(err, "what finished is in state; fix the cause and run certform apply again to continue")
	}
	fmt.Fprintln(s.Out, col.Green("Apply complete!")+" "+summary)
	return exitOK, nil
}

func applySummary(st *state.State, elapsed time.Duration) string {
	n := map[string]int{}
	for _, c := range st.Certificates {
		n[c.Status]++
	}
	return fmt.Sprintf("%d issued, %d pending, in %s.", n[state.StatusIssued], n[state.StatusPending], elapsed.Round(time.Millisecond))
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
