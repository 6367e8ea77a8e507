package views

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// attr is one rendered attribute of a request.
type attr struct {
	name   string
	value  []string // a scalar has one element; nil means unset
	list   bool
	number bool // rendered unquoted
}

// requestAttrs lays a request out in the order people read a certificate.
func requestAttrs(r *state.Request) []attr {
	if r == nil {
		return nil
	}
	key := r.KeyAlgorithm
	if r.KeySize > 0 {
		key += "-" + strconv.Itoa(r.KeySize)
	}
	attrs := []attr{
		{name: "common_name", value: scalar(r.CommonName)},
		{name: "hosts", value: r.Hosts, list: true},
		{name: "subject.organization", value: r.Organization, list: true},
		{name: "subject.organizational_unit", value: r.OrganizationalUnit, list: true},
		{name: "subject.country", value: r.Country, list: true},
		{name: "subject.province", value: r.Province, list: true},
		{name: "subject.locality", value: r.Locality, list: true},
		{name: "key", value: scalar(key + " (" + r.KeyEncoding + ")")},
		{name: "signer_name", value: scalar(r.SignerName)},
		{name: "usages", value: r.Usages, list: true},
		{name: "expiration_seconds", number: true},
	}
	if r.ExpirationSeconds > 0 {
		attrs[len(attrs)-1].value = []string{strconv.Itoa(int(r.ExpirationSeconds))}
	}
	return attrs
}

func scalar(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

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
		if ch.Action != plan.NoOp {
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
}

func symbol(a plan.Action, col Colorizer) string {
	switch a {
	case plan.Create:
		return col.Green("  +")
	case plan.Replace:
		return col.Red("-") + "/" + col.Green("+")
	case plan.Delete:
		return col.Red("  -")
	case plan.Wait:
		return col.Yellow("  ~")
	}
	return col.Yellow("  ~")
}

func renderChange(w io.Writer, ch *plan.Change, col Colorizer) {
	fmt.Fprintf(w, "  %s %s\n", col.Bold("# "+ch.Addr), headlines[ch.Action])
	for _, r := range ch.Reasons {
		fmt.Fprintf(w, "  %s\n", col.Dim("# ("+r+")"))
	}
	fmt.Fprintf(w, "%s %s {\n", symbol(ch.Action, col), ch.Addr)
	var before *state.Request
	if ch.Before != nil {
		before = &ch.Before.Request
	}
	switch ch.Action {
	case plan.Create:
		attrs := requestAttrs(ch.After)
		for _, a := range attrs {
			renderAttr(w, col.Green("+"), a, nameWidth(attrs))
		}
	case plan.Delete:
		attrs := requestAttrs(before)
		for _, a := range attrs {
			renderAttr(w, col.Red("-"), a, nameWidth(attrs))
		}
	default:
		renderDiff(w, requestAttrs(before), requestAttrs(ch.After), ch.Forces, col)
	}
	fmt.Fprintln(w, "    }")
}

// renderDiff shows the attributes that differ. Either side may be missing
// (a saved plan shown against a state that lost the record): its values
// are then all unset.
func renderDiff(w io.Writer, before, after []attr, forces []string, col Colorizer) {
	hidden := 0
	for i := range max(len(before), len(after)) {
		var a, b attr
		if i < len(after) {
			a = after[i]
		}
		if i < len(before) {
			b = before[i]
		}
		if a.name == "" {
			a.name, a.list, a.number = b.name, b.list, b.number
		}
		if slices.Equal(a.value, b.value) {
			hidden++
			continue
		}
		note := ""
		if slices.ContainsFunc(forces, func(f string) bool { return f == a.name || strings.HasPrefix(f, a.name+".") }) {
			note = col.Red(" # forces replacement")
		}
		if !a.list {
			fmt.Fprintf(w, "      %s %s = %s -> %s%s\n", col.Yellow("~"), a.name, a.render(b.value), a.render(a.value), note)
			continue
		}
		fmt.Fprintf(w, "      %s %s = [\n", col.Yellow("~"), a.name)
		for _, v := range b.value {
			if !slices.Contains(a.value, v) {
				fmt.Fprintf(w, "          %s %q,\n", col.Red("-"), v)
			}
		}
		for _, v := range a.value {
			if slices.Contains(b.value, v) {
				fmt.Fprintf(w, "            %q,\n", v)
			} else {
				fmt.Fprintf(w, "          %s %q,\n", col.Green("+"), v)
			}
		}
		fmt.Fprintf(w, "        ]%s\n", note)
	}
	if hidden > 0 {
		fmt.Fprintln(w, col.Dim(fmt.Sprintf("        # (%d unchanged attributes hidden)", hidden)))
	}
}

// nameWidth is the width that aligns the "=" of the set attributes.
func nameWidth(attrs []attr) int {
	n := 0
	for _, a := range attrs {
		if len(a.value) > 0 {
			n = max(n, len(a.name))
		}
	}
	return n
}

func renderAttr(w io.Writer, sym string, a attr, width int) {
	if len(a.value) == 0 {
		return
	}
	if !a.list {
		fmt.Fprintf(w, "      %s %-*s = %s\n", sym, width, a.name, a.render(a.value))
		return
	}
	quoted := make([]string, len(a.value))
	for i, v := range a.value {
		quoted[i] = strconv.Quote(v)
	}
	fmt.Fprintf(w, "      %s %-*s = [%s]\n", sym, width, a.name, strings.Join(quoted, ", "))
}

// render shows a scalar value: quoted unless a number, "(unset)" when nil.
func (a attr) render(v []string) string {
	switch {
	case v == nil:
		return "(unset)"
	case a.number:
		return v[0]
	}
	return strconv.Quote(v[0])
}
