package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// overlaps reports whether a and b name a common instance: the same
// address, or a block and one of its instances.
func overlaps(a, b RefAddr) bool {
	return a.Addr == b.Addr || !a.HasKey && a.Addr == b.Block || !b.HasKey && b.Addr == a.Block ||
		within(a, b) || within(b, a)
}

// within reports whether the module call m holds address a.
func within(m, a RefAddr) bool {
	return m.Kind == "module" && a.Kind != "module" &&
		(strings.HasPrefix(a.Addr, m.Addr+".") || !m.HasKey && strings.HasPrefix(a.Addr, m.Addr+"["))
}

// checkRefactors checks the moved, removed and import blocks against each
// other; what needs the certificates or state is checked when planning
// (plan.CheckRefactors).
func checkRefactors(cfg *Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for i, m := range cfg.Moved {
		diags = append(diags, checkMoved(m)...)
		for _, prev := range cfg.Moved[:i] {
			switch {
			case overlaps(prev.From, m.From):
				diags = append(diags, refError(m.From.Range, "Ambiguous move",
					fmt.Sprintf("%s is already moved by the moved block at %s; move each address once.", m.From.Addr, prev.DeclRange)))
			case overlaps(prev.To, m.To):
				diags = append(diags, refError(m.To.Range, "Ambiguous move",
					fmt.Sprintf("The moved block at %s already moves an address to %s; two records cannot become one.", prev.DeclRange, m.To.Addr)))
			}
		}
	}
	diags = append(diags, checkChains(cfg.Moved)...)
	for i, r := range cfg.Removed {
		if r.From.Kind != "certificate" {
			diags = append(diags, refError(r.From.Range, "Cannot remove this address",
				"A removed block names a certificate. A ca_bundle keeps no key: remove its block and certform unpublishes what it published."))
		}
		for _, prev := range cfg.Removed[:i] {
			if overlaps(prev.From, r.From) {
				diags = append(diags, refError(r.From.Range, "Duplicate removed block",
					fmt.Sprintf("%s is already removed by the block at %s; keep one.", r.From.Addr, prev.DeclRange)))
			}
		}
		for _, m := range cfg.Moved {
			if overlaps(m.From, r.From) || overlaps(m.To, r.From) {
				diags = append(diags, refError(r.From.Range, "Address both moved and removed",
					fmt.Sprintf("The moved block at %s also names %s; an address either moves or is removed, so keep one of the blocks.", m.DeclRange, r.From.Addr)))
			}
		}
	}
	for i, imp := range cfg.Imports {
		if imp.To.Kind != "certificate" {
			diags = append(diags, refError(imp.To.Range, "Cannot import into this address",
				"An import block adopts a key and certificate for a certificate block; a ca_bundle reads its sources itself."))
		}
		for _, prev := range cfg.Imports[:i] {
			if overlaps(prev.To, imp.To) {
				diags = append(diags, refError(imp.To.Range, "Duplicate import block",
					fmt.Sprintf("The import block at %s already imports into %s; keep one.", prev.DeclRange, imp.To.Addr)))
			}
		}
		for _, m := range cfg.Moved {
			if overlaps(m.To, imp.To) {
				diags = append(diags, refError(imp.To.Range, "Address both moved to and imported",
					fmt.Sprintf("The moved block at %s moves a record to %s; importing into it as well would replace that record. Keep one of the blocks.", m.DeclRange, imp.To.Addr)))
			}
		}
	}
	return diags
}

func checkMoved(m *Moved) hcl.Diagnostics {
	switch {
	case m.From.Addr == m.To.Addr:
		return hcl.Diagnostics{refError(m.To.Range, "Move to the same address",
			fmt.Sprintf("from and to are both %s, so nothing moves; remove the moved block, or correct one side.", m.From.Addr))}
	case m.From.Kind != m.To.Kind:
		return hcl.Diagnostics{refError(m.To.Range, "Move to another kind of block",
			fmt.Sprintf("%s is a %s and %s a %s; a record moves only between blocks of one kind.", m.From.Addr, m.From.Kind, m.To.Addr, m.To.Kind))}
	case m.From.Kind != "certificate" && m.From.Kind != "module":
		return hcl.Diagnostics{refError(m.From.Range, "Cannot move this address",
			"Only certificates (and module calls, with the certificates in them) can be moved: a ca_bundle keeps no key, and renaming its block only republishes the same CAs.")}
	case m.From.Block == m.To.Block && m.From.HasKey != m.To.HasKey:
		return hcl.Diagnostics{refError(m.To.Range, "Move between a block and its own instance",
			fmt.Sprintf("%s and %s are the same block; a block has for_each or not, so only one of them can exist. To add for_each to a block, move %s to an instance such as %s[\"KEY\"] of a renamed block, or move the instance.",
				m.From.Addr, m.To.Addr, m.From.Block, m.From.Block))}
	}
	return nil
}

// checkChains refuses a move whose destination another moved block moves
// on, and cycles of them: write one moved block from the first address to
// the last, as the state holds the first.
func checkChains(moves []*Moved) hcl.Diagnostics {
	var diags hcl.Diagnostics
	next := map[*Moved]*Moved{}
	for _, m := range moves {
		for _, n := range moves {
			if m != n && overlaps(m.To, n.From) {
				next[m] = n
				break
			}
		}
	}
	reported := map[*Moved]bool{}
	for _, m := range moves {
		n, chained := next[m]
		if !chained || reported[m] {
			continue
		}
		// Walk on: back at m is a cycle.
		seen := map[*Moved]bool{m: true}
		cycle := false
		for cur := n; cur != nil && !cycle; cur = next[cur] {
			cycle = cur == m
			if seen[cur] && !cycle {
				break
			}
			seen[cur] = true
		}
		if cycle {
			for c := range seen {
				reported[c] = true
			}
			diags = append(diags, refError(m.To.Range, "Cycle in moved blocks",
				fmt.Sprintf("%s moves to %s, which the moved block at %s moves on, and the moves come back to %s; remove the moved blocks of the cycle.",
					m.From.Addr, m.To.Addr, n.DeclRange, m.From.Addr)))
			continue
		}
		reported[m] = true
		diags = append(diags, refError(m.To.Range, "Chained moved blocks",
			fmt.Sprintf("%s moves to %s, which the moved block at %s moves on to %s. Write one moved block from %s to where it ends up, and remove the other.",
				m.From.Addr, m.To.Addr, n.DeclRange, n.To.Addr, m.From.Addr)))
	}
	return diags
}

func refError(r hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: r.Ptr()}
}
