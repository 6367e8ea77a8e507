package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/hashicorp/hcl/v2"

	"github.com/certform/certform/internal/pki"
)

// suggestUsage finds the CSR API usage that u spells another way: as
// Go's or OpenSSL's camelCase ("clientAuth"), with dashes or underscores,
// or in other letter case; else a near typo; else "".
func suggestUsage(u string) string {
	want := usageKey(u)
	for _, known := range pki.Usages() {
		if usageKey(known) == want {
			return known
		}
	}
	return suggest(strings.ToLower(u), pki.Usages())
}

// usageKey is u in lower case without spaces, dashes and underscores.
func usageKey(u string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '_' {
			return -1
		}
		return unicode.ToLower(r)
	}, u)
}

// explainUndeclared rewrites HCL's "This object does not have an attribute
// named" for var.NAME and local.NAME, which reads as if var were a value
// the user made, into what it is: a reference to a variable or local value
// that no block declares, with the closest declared name.
func explainUndeclared(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Summary != "Unsupported attribute" || d.Expression == nil || d.EvalContext == nil {
			continue
		}
		tr, more := hcl.AbsTraversalForExpr(d.Expression)
		if more.HasErrors() || len(tr) < 2 {
			continue
		}
		attr, ok := tr[1].(hcl.TraverseAttr)
		if !ok {
			continue
		}
		what, fix := map[string][2]string{
			"var":   {"input variable", "Declare it with a variable %q {} block, or fix the name."},
			"local": {"local value", "Define it in a locals block, or fix the name."},
		}[tr.RootName()], ""
		declared := namesIn(d.EvalContext, tr.RootName())
		if what[0] == "" || slices.Contains(declared, attr.Name) {
			continue // an attribute of a declared value is missing: HCL's words fit
		}
		fix = what[1]
		if strings.Contains(fix, "%q") {
			fix = fmt.Sprintf(fix, attr.Name)
		}
		if s := suggest(attr.Name, declared); s != "" {
			fix = fmt.Sprintf("Did you mean %s.%s?", tr.RootName(), s)
		}
		d.Summary = "Reference to undeclared " + what[0]
		d.Detail = fmt.Sprintf("No %s %q is declared. %s", what[0], attr.Name, fix)
	}
}

// namesIn lists the attributes of the object root in ctx or its parents.
func namesIn(ctx *hcl.EvalContext, root string) []string {
	for ; ctx != nil; ctx = ctx.Parent() {
		v, ok := ctx.Variables[root]
		if ok && v.Type().IsObjectType() {
			return slices.Sorted(maps.Keys(v.Type().AttributeTypes()))
		}
	}
	return nil
}
