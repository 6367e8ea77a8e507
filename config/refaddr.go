package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// RefAddr is an address written as a reference in a moved, removed or
// import block (certificate.web, certificate.pod["a"], with any
// module.NAME["KEY"]. prefix), in the spelling state and plans use.
type RefAddr struct {
	// Addr is the address as state spells it: certificate.NAME or
	// certificate.NAME["KEY"], after any module path.
	Addr string
	// Block is Addr without its instance key: the block's address.
	Block string
	// Kind is the block type: "certificate" or "ca_bundle", or "module"
	// for a moved block's module call (module.NAME or module.NAME["KEY"],
	// nested), which moves everything in it.
	Kind string
	// HasKey says the address names one for_each instance.
	HasKey bool
	// Range is where the reference is written.
	Range hcl.Range
}

// refKinds are the block types a reference may name.
var refKinds = map[string]bool{"certificate": true, "ca_bundle": true}

// refAddr reads attribute attr of a moved, removed or import block as an
// address: a reference, not a string, as Terraform writes them.
func refAddr(block, attr string, a *hcl.Attribute) (RefAddr, hcl.Diagnostics) {
	bad := func(detail string) (RefAddr, hcl.Diagnostics) {
		return RefAddr{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid address",
			Detail: fmt.Sprintf("%s.%s %s. Write an address without quotes, such as certificate.web or certificate.pod[\"a\"].",
				block, attr, detail),
			Subject: a.Expr.Range().Ptr(),
		}}
	}
	trav, diags := hcl.AbsTraversalForExpr(a.Expr)
	if diags.HasErrors() {
		if v, d := a.Expr.Value(nil); !d.HasErrors() && v.Type() == cty.String {
			return bad("is a string; it must be a reference to a block")
		}
		return bad("is not an address")
	}
	var b strings.Builder
	segs := make([]string, 0, len(trav))
	keys := make([]bool, 0, len(trav))
	keySuffix := make([]string, 0, len(trav)) // the ["KEY"] written after each segment
	for i, step := range trav {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			segs, keys, keySuffix = append(segs, s.Name), append(keys, false), append(keySuffix, "")
		case hcl.TraverseAttr:
			segs, keys, keySuffix = append(segs, s.Name), append(keys, false), append(keySuffix, "")
		case hcl.TraverseIndex:
			if i == 0 || keys[len(keys)-1] || s.Key.Type() != cty.String || s.Key.IsNull() {
				return bad("has an instance key that is not a quoted string")
			}
			keys[len(keys)-1] = true
			keySuffix[len(keySuffix)-1] = "[" + strconv.Quote(s.Key.AsString()) + "]"
			segs[len(segs)-1] += keySuffix[len(keySuffix)-1]
		default:
			return bad("is not an address")
		}
	}
	// module.NAME[...]. steps, then KIND.NAME[...].
	i := 0
	for ; i+1 < len(segs) && segs[i] == "module"; i += 2 {
		if keys[i] {
			return bad("has an instance key after module instead of after the module's name")
		}
		b.WriteString("module." + segs[i+1] + ".")
	}
	rest := segs[i:]
	switch {
	case len(rest) == 0 && block == "moved" && i > 0:
		path := strings.TrimSuffix(b.String(), ".")
		out := RefAddr{Addr: path, Block: path, Kind: "module", HasKey: keys[i-1], Range: a.Expr.Range()}
		if out.HasKey {
			out.Block = path[:len(path)-len(keySuffix[i-1])]
		}
		return out, nil
	case len(rest) == 0:
		return bad("names a module, not a certificate in it")
	case !refKinds[strings.SplitN(rest[0], "[", 2)[0]]:
		return bad(fmt.Sprintf("starts with %q; it must name a certificate or ca_bundle", rest[0]))
	case keys[i]:
		return bad("has an instance key after the block type")
	case len(rest) != 2:
		return bad("must be KIND.NAME, optionally with one instance key")
	}
	b.WriteString(rest[0] + "." + rest[1])
	out := RefAddr{Addr: b.String(), Block: b.String(), Kind: rest[0], HasKey: keys[i+1], Range: a.Expr.Range()}
	if out.HasKey {
		out.Block = out.Addr[:len(out.Addr)-len(keySuffix[i+1])]
	}
	return out, nil
}
