package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// node is a local value or a module call of one module: they may use each
// other (a local of a module's output, a module argument of a local), so
// they are evaluated together, in dependency order.
type node struct {
	local *local
	call  *moduleCall
}

// key is how expressions name the node: local.NAME or module.NAME.
func (n node) key() string {
	if n.local != nil {
		return "local." + n.local.name
	}
	return "module." + n.call.block.Labels[0]
}

// subject is where the node is defined, for diagnostics.
func (n node) subject() hcl.Range {
	if n.local != nil {
		return n.local.attr.NameRange
	}
	return n.call.block.DefRange
}

// deps are the keys of the locals and module calls n's expressions use.
func (n node) deps() []string {
	var exprs []hcl.Expression
	if n.local != nil {
		exprs = append(exprs, n.local.attr.Expr)
	} else {
		for _, a := range n.call.args {
			exprs = append(exprs, a.Expr)
		}
		if n.call.forEach != nil {
			exprs = append(exprs, n.call.forEach.Expr)
		}
	}
	var deps []string
	for _, e := range exprs {
		for _, tr := range e.Variables() {
			if root := tr.RootName(); (root == "local" || root == "module") && len(tr) > 1 {
				if step, ok := tr[1].(hcl.TraverseAttr); ok {
					deps = append(deps, root+"."+step.Name)
				}
			}
		}
	}
	return deps
}

// orderNodes sorts nodes so that each comes after those it uses (a
// depth-first topological sort). A cycle is reported once, naming every
// node in it with where it is defined; its nodes are left out.
func orderNodes(nodes map[string]node) ([]node, hcl.Diagnostics) {
	const (
		visiting = iota + 1
		done
	)
	mark := map[string]int{}
	cyclic := map[string]bool{}
	var order []node
	var diags hcl.Diagnostics
	var stack []string
	var visit func(key string)
	visit = func(key string) {
		n, ok := nodes[key]
		if !ok {
			return // undefined: evaluation reports it with its range
		}
		switch mark[key] {
		case done:
			return
		case visiting:
			i := slices.Index(stack, key)
			if !cyclic[key] {
				diags = append(diags, cycleDiag(nodes, stack[i:]))
			}
			for _, k := range stack[i:] {
				cyclic[k] = true
			}
			return
		}
		mark[key] = visiting
		stack = append(stack, key)
		for _, d := range n.deps() {
			visit(d)
		}
		stack = stack[:len(stack)-1]
		mark[key] = done
		if !cyclic[key] {
			order = append(order, n)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(nodes)) {
		visit(key)
	}
	return order, diags
}

func cycleDiag(nodes map[string]node, cycle []string) *hcl.Diagnostic {
	var where []string
	kinds := map[bool]bool{}
	for _, k := range cycle {
		where = append(where, fmt.Sprintf("%s (%s)", k, nodes[k].subject()))
		kinds[nodes[k].local != nil] = true
	}
	summary := "Cycle in local values and module calls"
	switch {
	case !kinds[false]:
		summary = "Cycle in local values"
	case !kinds[true]:
		summary = "Cycle in module calls"
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary,
		Detail:  fmt.Sprintf("These refer to each other, so none can be evaluated: %s -> %s. Break the cycle.", strings.Join(where, " -> "), cycle[0]),
		Subject: nodes[cycle[0]].subject().Ptr()}
}

// evalNodes evaluates locals and module calls in order, keeping local.NAME
// and module.NAME of ctx up to date as it goes. A module call's value is
// its outputs (see evalCall); one not evaluated (in a cycle, or failed) is
// unknown, so that its users do not report it again.
func (sc *scope) evalNodes(cfg *Config, order []node, calls map[string]*moduleCall, ctx *hcl.EvalContext) (localsFailed bool, diags hcl.Diagnostics) {
	locals := map[string]cty.Value{}
	mods := map[string]cty.Value{}
	for name := range calls {
		mods[name] = cty.DynamicVal
	}
	for _, n := range order {
		ctx.Variables["local"], ctx.Variables["module"] = cty.ObjectVal(locals), cty.ObjectVal(mods)
		if n.local != nil {
			v, d := n.local.attr.Expr.Value(ctx)
			diags = append(diags, d...)
			if d.HasErrors() {
				v, localsFailed = cty.DynamicVal, true
			}
			locals[n.local.name] = v
			continue
		}
		v, d := sc.evalCall(cfg, n.call, ctx)
		diags = append(diags, d...)
		mods[n.call.block.Labels[0]] = v
	}
	ctx.Variables["local"], ctx.Variables["module"] = cty.ObjectVal(locals), cty.ObjectVal(mods)
	return localsFailed, diags
}
