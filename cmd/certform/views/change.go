package views

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/certform/certform/plan"
)

// renderChange writes one certificate's change: a create shows every set
// attribute, a delete every recorded one and what it removes, anything
// else the attributes side by side. No attribute is hidden.
func renderChange(w io.Writer, ch *plan.Change, col Colorizer) {
	switch {
	case ch.Action == plan.NoOp: // moved, nothing else
		fmt.Fprintf(w, "  %s has moved to %s\n", col.Bold("# "+ch.PrevAddr), col.Bold(ch.Addr))
	case ch.PrevAddr != "":
		fmt.Fprintf(w, "  %s %s\n  %s\n", col.Bold("# "+ch.Addr), headlines[ch.Action], col.Dim("# (moved from "+ch.PrevAddr+")"))
	default:
		fmt.Fprintf(w, "  %s %s\n", col.Bold("# "+ch.Addr), headlines[ch.Action])
	}
	if ch.Cluster != "" {
		fmt.Fprintf(w, "  %s\n", col.Dim(fmt.Sprintf("# (in cluster %q)", ch.Cluster)))
	}
	for _, r := range ch.Reasons {
		fmt.Fprintf(w, "  %s\n", col.Dim("# ("+r+")"))
	}
	if a := ch.Approval; a != nil {
		line := "# " + ApprovalWords(a)
		if a.Verdict == plan.ApprovalDeny {
			fmt.Fprintf(w, "  %s\n", col.Red(line))
		} else {
			fmt.Fprintf(w, "  %s\n", col.Dim(line))
		}
	}
	sym := symbol(ch.Action, col)
	if ch.Action == plan.NoOp {
		sym = "   "
	}
	fmt.Fprintf(w, "%s %s {\n", sym, ch.Addr)
	before := certAttrs(ch.BeforeAttrs, "kept")
	if ch.BeforeAttrs == nil && ch.Before != nil {
		before = certAttrs(plan.RecordedAttributes(ch.Before), "kept")
	}
	after := certAttrs(afterAttrs(ch), map[bool]string{true: "new", false: "kept"}[ch.NewKey()])
	if a := afterAttrs(ch); a != nil && len(a.Sensitive) > 0 {
		mask(before, a.Sensitive)
		mask(after, a.Sensitive)
	}
	switch ch.Action {
	case plan.Create, plan.Import:
		renderSide(w, col.Green("+"), after, "written to ")
	case plan.Delete:
		renderSide(w, col.Red("-"), before, "held in ")
		renderRemovals(w, ch.Removes, col)
	case plan.Forget:
		renderSide(w, " ", before, "held in ")
		renderRemovals(w, ch.Removes, col)
	default:
		renderDiff(w, before, after, ch.Forces, col)
		renderRemovals(w, ch.Removes, col)
	}
	for _, a := range ch.AfterChange {
		fmt.Fprintf(w, "      %s after change: %s\n", col.Yellow("!"), describeAfterChange(a))
	}
	fmt.Fprintln(w, "    }")
}

// afterAttrs are the planned attributes, or for a plan file written
// before they were saved, the request alone.
func afterAttrs(ch *plan.Change) *plan.Attributes {
	if ch.AfterAttrs != nil || ch.After == nil {
		return ch.AfterAttrs
	}
	return &plan.Attributes{Request: *ch.After}
}

// renderSide writes every set attribute of one side with sym.
func renderSide(w io.Writer, sym string, attrs []attr, where string) {
	width := nameWidth(attrs, attrs)
	for _, a := range attrs {
		if a.set() {
			fmt.Fprintf(w, "      %s %-*s = %s%s\n", sym, width, a.name, shown(a), comment(a, where))
		}
	}
}

// renderDiff writes both sides: unchanged attributes plain, changed ones
// with ~ (lists element by element), added with +, removed with -.
// Either side may be empty (a saved plan shown against a state that lost
// the record): its values are then all unset.
func renderDiff(w io.Writer, before, after []attr, forces []string, col Colorizer) {
	width := nameWidth(before, after)
	for i, a := range after {
		b := before[i]
		note := ""
		if slices.ContainsFunc(forces, func(f string) bool { return f == a.name || strings.HasPrefix(f, a.name+".") }) {
			note = col.Red(" # forces replacement")
		}
		switch {
		case a.unrecorded && a.set():
			fmt.Fprintf(w, "        %-*s = %s%s\n", width, a.name, shown(a), comment(a, "written to "))
		case a.unrecorded || !a.set() && !b.set():
		case a.equal(b):
			fmt.Fprintf(w, "        %-*s = %s%s\n", width, a.name, shown(a), comment(a, "written to "))
		case !b.set():
			fmt.Fprintf(w, "      %s %-*s = %s%s%s\n", col.Green("+"), width, a.name, shown(a), comment(a, "written to "), note)
		case !a.set():
			fmt.Fprintf(w, "      %s %-*s = %s%s\n", col.Red("-"), width, b.name, shown(b), note)
		case a.sensitive && a.name != "private_key":
			fmt.Fprintf(w, "      %s %-*s = %s # changed%s\n", col.Yellow("~"), width, a.name, sensitiveValue, note)
		case a.sensitive:
			fmt.Fprintf(w, "      %s %-*s = %s # %s%s\n", col.Yellow("~"), width, a.name, sensitiveValue, keyChange(a, b), note)
		case a.list:
			fmt.Fprintf(w, "      %s %-*s = [\n", col.Yellow("~"), width, a.name)
			renderListDiff(w, b.value, a.value, col)
			fmt.Fprintf(w, "        ]%s\n", note)
		default:
			fmt.Fprintf(w, "      %s %-*s = %s -> %s%s\n", col.Yellow("~"), width, a.name, b.inline(), a.inline(), note)
		}
	}
}

// keyChange says what changes about the private key.
func keyChange(a, b attr) string {
	var parts []string
	if a.cmp == "new" {
		parts = append(parts, "a new key is generated")
	}
	parts = append(parts, "written to "+a.homes)
	if a.homes != b.homes {
		parts = append(parts, "before: "+b.homes)
	}
	return strings.Join(parts, "; ")
}

// maxLCSCells bounds the table of lcs: lists come from configuration and
// state files, which may be large; longer lists are diffed as sets.
const maxLCSCells = 1 << 20

// renderListDiff writes a list's elements in order: kept ones plain,
// removed with -, added with +, aligned on a longest common subsequence
// (for lists too long for that, the removed ones first, then the list).
func renderListDiff(w io.Writer, before, after []string, col Colorizer) {
	if (len(before)+1)*(len(after)+1) > maxLCSCells {
		renderSetDiff(w, before, after, col)
		return
	}
	common := lcs(before, after)
	i, j := 0, 0
	for _, c := range append(common, "") {
		for i < len(before) && (c == "" || before[i] != c) {
			fmt.Fprintf(w, "          %s %s,\n", col.Red("-"), before[i])
			i++
		}
		for j < len(after) && (c == "" || after[j] != c) {
			fmt.Fprintf(w, "          %s %s,\n", col.Green("+"), after[j])
			j++
		}
		if c != "" {
			fmt.Fprintf(w, "            %s,\n", c)
			i, j = i+1, j+1
		}
	}
}

// renderSetDiff writes the elements of before that after lacks, then after
// with its new elements marked: linear, for lists of any length.
func renderSetDiff(w io.Writer, before, after []string, col Colorizer) {
	inBefore, inAfter := map[string]bool{}, map[string]bool{}
	for _, v := range before {
		inBefore[v] = true
	}
	for _, v := range after {
		inAfter[v] = true
	}
	for _, v := range before {
		if !inAfter[v] {
			fmt.Fprintf(w, "          %s %s,\n", col.Red("-"), v)
		}
	}
	for _, v := range after {
		if inBefore[v] {
			fmt.Fprintf(w, "            %s,\n", v)
		} else {
			fmt.Fprintf(w, "          %s %s,\n", col.Green("+"), v)
		}
	}
}

// lcs is the longest common subsequence of a and b; the caller keeps the
// quadratic table within maxLCSCells.
func lcs(a, b []string) []string {
	n := make([][]int, len(a)+1)
	for i := range n {
		n[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				n[i][j] = n[i+1][j+1] + 1
			} else {
				n[i][j] = max(n[i+1][j], n[i][j+1])
			}
		}
	}
	var out []string
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			out = append(out, a[i])
			i, j = i+1, j+1
		case n[i+1][j] >= n[i][j+1]:
			i++
		default:
			j++
		}
	}
	return out
}

// nameWidth aligns the "=" of the attributes that are shown.
func nameWidth(before, after []attr) int {
	n := 0
	for _, side := range [][]attr{before, after} {
		for _, a := range side {
			if a.set() {
				n = max(n, len(a.name))
			}
		}
	}
	return n
}

func shown(a attr) string {
	if a.sensitive {
		return sensitiveValue
	}
	return a.inline()
}

// comment says where a private key goes: where + the places.
func comment(a attr, where string) string {
	if a.homes == "" {
		return ""
	}
	return " # " + where + a.homes
}

// renderRemovals writes what a delete removes, and what it leaves.
func renderRemovals(w io.Writer, removes []plan.Removal, col Colorizer) {
	for _, r := range removes {
		fmt.Fprintf(w, "      %s\n", col.Dim("# "+describeRemoval(r)))
	}
}

var fileRoles = map[string]string{"key": "private key", "cert": "certificate", "ca": "CA", "csr": "request", "chain": "chain"}

func describeRemoval(r plan.Removal) string {
	what := map[string]string{plan.RemoveFile: "file", plan.RemoveSecret: "Secret", plan.RemoveCSR: "CSR"}[r.Kind] + " " + r.Name
	if r.Kind == plan.RemoveFile {
		what += " (" + fileRoles[r.Role] + ")"
	}
	switch r.Effect {
	case plan.EffectRelease:
		return "releases " + what + ": certform adopted it and did not create it, so it only removes its labels and leaves the Secret"
	case plan.EffectKeep:
		return "leaves " + what + " in place: it was modified outside certform"
	case plan.EffectGone:
		return what + " is already gone"
	case plan.EffectLeave:
		return "leaves " + what + " in place, untouched"
	}
	if r.Unobserved {
		switch r.Kind {
		case plan.RemoveFile:
			return "deletes " + what + " unless it was modified outside certform (not checked: planned without refresh)"
		case plan.RemoveSecret:
			return "deletes " + what + ", or only releases it if certform adopted it (not checked: planned without refresh)"
		}
		return "deletes " + what + " if the cluster still has it (not checked: planned without refresh)"
	}
	return "deletes " + what
}
