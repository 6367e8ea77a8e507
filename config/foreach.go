package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/certform/certform/internal/addrs"
)

// instance is one expansion of a block: the block itself, or one for_each
// element.
type instance struct {
	addr   string
	key    string
	hasKey bool
	ctx    *hcl.EvalContext
}

// expand evaluates a block's for_each (if any) and returns one instance per
// element of a certificate or ca_bundle block in module mod, each with
// each.key and each.value in its evaluation context.
func expand(kind string, mod addrs.Module, block *hcl.Block, forEach *hcl.Attribute, ctx *hcl.EvalContext) ([]instance, hcl.Diagnostics) {
	addr := func(key string, hasKey bool) string {
		return addrs.Addr{Module: mod, Kind: kind, Name: block.Labels[0], Key: key, HasKey: hasKey}.String()
	}
	instances, diags := forEachInstances(forEach, ctx)
	for i := range instances {
		instances[i].addr = addr(instances[i].key, instances[i].hasKey)
	}
	return instances, diags
}

// forEachInstances evaluates a for_each (nil: none) into instances without
// addresses: one per element, or a single unkeyed one.
func forEachInstances(forEach *hcl.Attribute, ctx *hcl.EvalContext) ([]instance, hcl.Diagnostics) {
	if forEach == nil {
		return []instance{{ctx: ctx}}, nil
	}
	val, diags := forEach.Expr.Value(ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	bad := func(detail string) hcl.Diagnostics {
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid for_each argument",
			Detail: detail, Subject: forEach.Expr.Range().Ptr()})
	}
	ty := val.Type()
	switch {
	case val.IsNull():
		return nil, bad("for_each is null; give it a map, or a set of strings such as toset([\"a\", \"b\"]).")
	case !val.IsWhollyKnown():
		return nil, bad("for_each must be known when the configuration is read.")
	case ty.IsSetType() && !ty.ElementType().Equals(cty.String):
		return nil, bad(fmt.Sprintf("for_each takes a set of strings, not a set of %s.", ty.ElementType().FriendlyName()))
	case ty.IsListType() || ty.IsTupleType():
		return nil, bad("for_each takes a map or a set of strings, not a list: wrap it in toset(...), so each element is its own key.")
	case !ty.IsSetType() && !ty.IsMapType() && !ty.IsObjectType():
		return nil, bad(fmt.Sprintf("for_each takes a map or a set of strings, not %s.", ty.FriendlyName()))
	}
	var out []instance
	for it := val.ElementIterator(); it.Next(); {
		k, v := it.Element()
		if ty.IsSetType() {
			k = v
		}
		if k.IsNull() {
			return nil, bad("for_each has a null key.")
		}
		key := k.AsString()
		each := cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(key), "value": v})
		// A child scope holds each; everything else is found in ctx.
		inst := ctx.NewChild()
		inst.Variables = map[string]cty.Value{"each": each}
		out = append(out, instance{key: key, hasKey: true, ctx: inst})
	}
	return out, diags
}

// splitForEach takes for_each out of a block body, so the rest can be
// decoded as the block's own schema.
func splitForEach(body hcl.Body) (*hcl.Attribute, hcl.Body, hcl.Diagnostics) {
	content, rest, diags := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "for_each"}}})
	return content.Attributes["for_each"], rest, diags
}
