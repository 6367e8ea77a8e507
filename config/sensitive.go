package config

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// sensitivity says which names of a module's scope carry a sensitive
// value: its variables declared sensitive = true or set from a sensitive
// value by the module call, and the locals computed from them. A
// certificate attribute whose expression refers to one is sensitive, and
// plans show "(sensitive value)" in its place, as Terraform does. The
// analysis follows references, not values: a value that passed through a
// function is still sensitive, and one a module output carries is not
// followed (outputs have their own sensitive flag).
type sensitivity map[string]bool // "var.NAME", "local.NAME"

// refersAttr is refers for an attribute that may be absent.
func (s sensitivity) refersAttr(a *hcl.Attribute) bool {
	return a != nil && s.refers(a.Expr)
}

// refers reports whether expr refers to a sensitive name.
func (s sensitivity) refers(expr hcl.Expression) bool {
	if len(s) == 0 || expr == nil {
		return false
	}
	for _, t := range expr.Variables() {
		if len(t) < 2 {
			continue
		}
		if attr, ok := t[1].(hcl.TraverseAttr); ok && s[t.RootName()+"."+attr.Name] {
			return true
		}
	}
	return false
}

// withLocals adds the locals computed, directly or through other locals,
// from a sensitive name.
func (s sensitivity) withLocals(locals map[string]*local) sensitivity {
	for changed := true; changed; {
		changed = false
		for name, l := range locals {
			if !s["local."+name] && s.refers(l.attr.Expr) {
				s["local."+name], changed = true, true
			}
		}
	}
	return s
}

// sensitiveAttrs lists the attributes of body (nested ones as
// "block.attr", as AttrRanges names them) whose expressions refer to a
// sensitive name, or that depend on each.* when for_each does.
func (s sensitivity) sensitiveAttrs(body hcl.Body, forEach *hcl.Attribute) map[string]bool {
	eachSensitive := s.refersAttr(forEach)
	out := map[string]bool{}
	var walk func(prefix string, b *hclsyntax.Body)
	walk = func(prefix string, b *hclsyntax.Body) {
		for name, a := range b.Attributes {
			if s.refers(a.Expr) || eachSensitive && refersToEach(a.Expr) {
				out[prefix+name] = true
			}
		}
		for _, blk := range b.Blocks {
			walk(prefix+blk.Type+".", blk.Body)
		}
	}
	if b, ok := body.(*hclsyntax.Body); ok && (len(s) > 0 || eachSensitive) {
		walk("", b)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func refersToEach(expr hcl.Expression) bool {
	for _, t := range expr.Variables() {
		if t.RootName() == "each" {
			return true
		}
	}
	return false
}

// minRedacted is the shortest sensitive value that messages hide: a
// shorter one would hide common words along with it.
const minRedacted = 4

// sensitiveStrings are the string values of the sensitive variables (and
// the strings inside their lists and maps).
func sensitiveStrings(cfg *Config) []string {
	var out []string
	for name, v := range cfg.Variables {
		val, ok := cfg.Values[name]
		if !v.Sensitive || !ok {
			continue
		}
		cty.Walk(val, func(_ cty.Path, v cty.Value) (bool, error) {
			if v.IsKnown() && !v.IsNull() && v.Type() == cty.String && len(v.AsString()) >= minRedacted {
				// and as a suggestion spells it
				out = append(out, v.AsString(), strings.ToLower(v.AsString()))
			}
			return true, nil
		})
	}
	return out
}

// redact replaces the sensitive values in diagnostics' messages, so a
// mistake in a certificate built from a secret does not print it.
func redact(diags hcl.Diagnostics, values []string) hcl.Diagnostics {
	if len(values) == 0 {
		return diags
	}
	for _, d := range diags {
		for _, v := range values {
			d.Summary = strings.ReplaceAll(d.Summary, v, "(sensitive value)")
			d.Detail = strings.ReplaceAll(d.Detail, v, "(sensitive value)")
		}
	}
	return diags
}
