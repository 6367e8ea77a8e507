package views

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/certform/certform/plan"
)

// RenderPlan writes p in Terraform's style, in one go: a plan of
// thousands of changes is tens of thousands of lines.
func RenderPlan(out io.Writer, p *plan.Plan, col Colorizer) {
	w := bufio.NewWriter(out)
	defer w.Flush()
	renderHeldBack(w, p, col)
	if !p.HasChanges() {
		fmt.Fprintln(w, col.Bold("No changes.")+" The certificates match the configuration.")
		return
	}
	fmt.Fprintln(w, "certform will perform the following actions:")
	for _, ch := range p.Changes {
		if ch.Action != plan.NoOp || ch.PrevAddr != "" {
			fmt.Fprintln(w)
			renderChange(w, ch, col)
		}
	}
	renderBundles(w, p.Bundles, col)
	if len(p.Conflicts) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, col.Red("Conflicts")+" (apply refuses this plan until they are resolved):")
		for _, c := range p.Conflicts {
			fmt.Fprintln(w, "  - "+c)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, col.Bold(Summary(p)))
	if denied := p.Denied(); len(denied) > 0 {
		fmt.Fprintf(w, "\n%s %s\n", col.Yellow("Warning:"), deniedWarning(denied))
	}
}

// renderHeldBack warns about addresses the plan leaves alone although
// they are not in order (a denied CSR, not resubmitted unchanged): a no-op
// with reasons.
func renderHeldBack(w io.Writer, p *plan.Plan, col Colorizer) {
	for _, ch := range p.Changes {
		if ch.Action == plan.NoOp && len(ch.Reasons) > 0 {
			fmt.Fprintf(w, "%s %s: %s\n\n", col.Yellow("Warning:"), ch.Addr, strings.Join(ch.Reasons, "; "))
		}
	}
}

// Summary is the plan's one-line count of changes.
func Summary(p *plan.Plan) string {
	n := p.Counts()
	s := fmt.Sprintf("Plan: %d to issue, %d to renew, %d to replace, %d to update, %d to delete.",
		n[plan.Create], n[plan.Renew], n[plan.Replace], n[plan.Update], n[plan.Delete])
	for _, c := range []struct {
		n    int
		what string
	}{{n[plan.Import], "to import"}, {p.Moves(), "to move"}, {n[plan.Forget], "to forget (left in place)"}} {
		if c.n > 0 {
			s += fmt.Sprintf(" %d %s.", c.n, c.what)
		}
	}
	if n[plan.Wait] > 0 {
		s += fmt.Sprintf(" %d pending CSR(s) to wait for.", n[plan.Wait])
	}
	return s + bundleSummary(p.Bundles)
}

var headlines = map[plan.Action]string{
	plan.Create:  "will be issued",
	plan.Renew:   "will be renewed",
	plan.Replace: "must be replaced",
	plan.Update:  "will be updated in place",
	plan.Wait:    "is waiting for its CSR",
	plan.Delete:  "will be deleted",
	plan.Forget:  "will be removed from state; the files, Secret and CSR stay",
	plan.Import:  "will be imported",
}

func symbol(a plan.Action, col Colorizer) string {
	switch a {
	case plan.Create:
		return col.Green("  +")
	case plan.Replace:
		return col.Red("-") + "/" + col.Green("+")
	case plan.Delete:
		return col.Red("  -")
	case plan.Forget:
		return col.Yellow("  .")
	case plan.Import:
		return col.Green("  <")
	case plan.Wait:
		return col.Yellow("  ~")
	}
	return col.Yellow("  ~")
}
