package views

import (
	"fmt"
	"io"
	"strings"

	"github.com/certform/certform/plan"
)

var actionWords = map[plan.Action]string{
	plan.Create: "issue", plan.Renew: "renew", plan.Replace: "replace", plan.Update: "update",
	plan.Wait: "wait", plan.Delete: "delete",
}

// RenderMarkdown writes a compact plan for pull-request comments and CI job
// summaries: the summary line, then a table of the changes.
func RenderMarkdown(w io.Writer, p *plan.Plan) {
	fmt.Fprintln(w, "### certform plan")
	fmt.Fprintln(w)
	if !p.HasChanges() {
		fmt.Fprintln(w, "**No changes.** The certificates match the configuration.")
		return
	}
	fmt.Fprintf(w, "**%s**\n\n", Summary(p))
	fmt.Fprintln(w, "| action | address | why |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, ch := range p.Changes {
		if ch.Action == plan.NoOp {
			continue
		}
		fmt.Fprintf(w, "| %s | `%s` | %s |\n", actionWords[ch.Action], ch.Addr, cell(strings.Join(ch.Reasons, "; ")))
	}
	for _, b := range p.Bundles {
		for _, t := range b.Targets {
			if t.Action == plan.NoOp {
				continue
			}
			fmt.Fprintf(w, "| %s %s | `%s` → %s/%s | %d CA(s) added, %d removed |\n",
				map[plan.Action]string{plan.Create: "publish", plan.Update: "update", plan.Delete: "remove"}[t.Action],
				t.Kind, b.Addr, t.Namespace, t.Name, len(t.Added), len(t.Removed))
		}
	}
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
