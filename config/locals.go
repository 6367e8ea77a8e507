package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// local is one attribute of a locals block.
type local struct {
	name string
	attr *hcl.Attribute
	deps []string // names of other locals it refers to
}

// collectLocals gathers the attributes of every locals block, reporting a
// name defined twice at its second definition.
func collectLocals(blocks []*hcl.Block) (map[string]*local, hcl.Diagnostics) {
	locals := map[string]*local{}
	var diags hcl.Diagnostics
	for _, b := range blocks {
		attrs, d := b.Body.JustAttributes()
		diags = append(diags, d...)
		for _, name := range sortedAttrNames(attrs) {
			a := attrs[name]
			if prev, dup := locals[name]; dup {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate local value",
					Detail:  fmt.Sprintf("local.%s was already defined at %s. Give each local value a unique name.", name, prev.attr.NameRange),
					Subject: a.NameRange.Ptr()})
				continue
			}
			l := &local{name: name, attr: a}
			for _, tr := range a.Expr.Variables() {
				if tr.RootName() == "local" && len(tr) > 1 {
					if step, ok := tr[1].(hcl.TraverseAttr); ok {
						l.deps = append(l.deps, step.Name)
					}
				}
			}
			locals[name] = l
		}
	}
	return locals, diags
}

// sortedAttrNames orders attributes by where they appear.
func sortedAttrNames(attrs hcl.Attributes) []string {
	names := slices.Collect(maps.Keys(attrs))
	slices.SortFunc(names, func(a, b string) int {
		ra, rb := attrs[a].Range, attrs[b].Range
		if c := strings.Compare(ra.Filename, rb.Filename); c != 0 {
			return c
		}
		return ra.Start.Byte - rb.Start.Byte
	})
	return names
}

// orderLocals sorts locals so that each comes after those it refers to
// (a depth-first topological sort). A cycle is reported once, naming every
// local in it with where it is defined.
func orderLocals(locals map[string]*local) ([]*local, hcl.Diagnostics) {
	const (
		unvisited = iota
		visiting
		done
	)
	mark := map[string]int{}
	var order []*local
	var diags hcl.Diagnostics
	var stack []string
	cyclic := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		l, ok := locals[name]
		if !ok {
			return // an undefined local: evaluation reports it with its range
		}
		switch mark[name] {
		case done:
			return
		case visiting:
			i := slices.Index(stack, name)
			if !cyclic[name] {
				diags = append(diags, cycleDiag(locals, stack[i:]))
			}
			for _, n := range stack[i:] {
				cyclic[n] = true
			}
			return
		}
		mark[name] = visiting
		stack = append(stack, name)
		for _, d := range l.deps {
			visit(d)
		}
		stack = stack[:len(stack)-1]
		mark[name] = done
		if !cyclic[name] {
			order = append(order, l)
		}
	}
	names := slices.Collect(maps.Keys(locals))
	slices.Sort(names)
	for _, n := range names {
		visit(n)
	}
	return order, diags
}

func cycleDiag(locals map[string]*local, cycle []string) *hcl.Diagnostic {
	var where []string
	for _, n := range cycle {
		where = append(where, fmt.Sprintf("local.%s (%s)", n, locals[n].attr.NameRange))
	}
	first := locals[cycle[0]]
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cycle in local values",
		Detail:  fmt.Sprintf("These local values refer to each other, so none can be evaluated: %s -> local.%s. Break the cycle.", strings.Join(where, " -> "), cycle[0]),
		Subject: first.attr.NameRange.Ptr()}
}

// evalLocals evaluates locals in order, adding each to ctx as it goes.
func evalLocals(order []*local, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	values := map[string]cty.Value{}
	for _, l := range order {
		ctx.Variables["local"] = cty.ObjectVal(values)
		v, d := l.attr.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			v = cty.DynamicVal
		}
		values[l.name] = v
	}
	ctx.Variables["local"] = cty.ObjectVal(values)
	return diags
}
