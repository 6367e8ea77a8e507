package views

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/certform/certform/plan"
)

var actionWords = map[plan.Action]string{
	plan.Create: "issue", plan.Renew: "renew", plan.Replace: "replace", plan.Update: "update",
	plan.Wait: "wait", plan.Delete: "delete",
	plan.Forget: "forget", plan.Import: "import",
}

var targetActionWords = map[plan.Action]string{plan.Create: "publish", plan.Update: "update", plan.Delete: "remove"}

// RenderMarkdown writes a plan for pull-request comments and CI job
// summaries, as Terraform's usual pull-request comments do: the summary
// line, a table with one row per action and the reason in words, then the
// full text plan in a collapsible block.
func RenderMarkdown(w io.Writer, p *plan.Plan) {
	fmt.Fprintln(w, "### certform plan")
	fmt.Fprintln(w)
	if !p.HasChanges() {
		fmt.Fprintln(w, "**No changes.** The certificates match the configuration.")
		return
	}
	fmt.Fprintf(w, "**%s**\n\n", Summary(p))
	if denied := p.Denied(); len(denied) > 0 {
		fmt.Fprintf(w, "> [!WARNING]\n> %s\n\n", cell(deniedWarning(denied)))
	}
	fmt.Fprintln(w, "| action | address | why |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, ch := range p.Changes {
		if ch.Action == plan.NoOp && ch.PrevAddr == "" {
			continue
		}
		if ch.PrevAddr != "" {
			fmt.Fprintf(w, "| move | `%s` → `%s` | moved block: the key and certificate are kept |\n", ch.PrevAddr, ch.Addr)
		}
		if ch.Action != plan.NoOp {
			fmt.Fprintf(w, "| %s | `%s` | %s |\n", actionWords[ch.Action], ch.Addr, cell(changeWhy(ch)))
		}
	}
	for _, b := range p.Bundles {
		for _, t := range b.Targets {
			if t.Action == plan.NoOp {
				continue
			}
			fmt.Fprintf(w, "| %s %s | `%s` → %s/%s | %s |\n", targetActionWords[t.Action], targetKinds[t.Kind],
				b.Addr, t.Namespace, t.Name, cell(targetWhy(t)))
		}
	}
	if len(p.Conflicts) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "**Conflicts** (apply refuses this plan until they are resolved):")
		for _, c := range p.Conflicts {
			fmt.Fprintln(w, "- "+cell(c))
		}
	}
	var text bytes.Buffer
	RenderPlan(&text, p, Colorizer{})
	fence := fenceFor(text.String())
	fmt.Fprintln(w)
	fmt.Fprintln(w, "<details><summary>Full plan</summary>")
	fmt.Fprintln(w)
	fmt.Fprintln(w, fence)
	fmt.Fprint(w, text.String())
	fmt.Fprintln(w, fence)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "</details>")
}

// changeWhy is a change's reasons, then what it removes.
func changeWhy(ch *plan.Change) string {
	why := strings.Join(ch.Reasons, "; ")
	var removes []string
	for _, r := range ch.Removes {
		removes = append(removes, describeRemoval(r))
	}
	if len(removes) > 0 {
		why += " — " + strings.Join(removes, "; ")
	}
	if a := ch.Approval; a != nil {
		why += " — " + ApprovalWords(a)
	}
	var actions []string
	for _, a := range ch.AfterChange {
		actions = append(actions, describeAfterChange(a))
	}
	if len(actions) > 0 {
		why += " — after change: " + strings.Join(actions, "; ")
	}
	return why
}

// targetWhy says which CAs a bundle target gains and loses.
func targetWhy(t *plan.TargetChange) string {
	var parts []string
	for _, ca := range t.Added {
		parts = append(parts, "adds "+describeCA(ca))
	}
	for _, ca := range t.Removed {
		parts = append(parts, "removes "+describeCA(ca))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("key %q", t.Key)
	}
	return strings.Join(parts, "; ") + fmt.Sprintf(" (key %q)", t.Key)
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// fenceFor returns a code fence longer than any run of backticks in s, so
// that no path or name can close the block early.
func fenceFor(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}
