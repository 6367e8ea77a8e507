package config

import (
	"fmt"
	"reflect"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// hintNestedArguments adds to each "Unsupported argument" diagnostic of
// body's own arguments the nested block that takes the argument, when
// one of target's block fields does: key_file written beside common_name
// instead of inside output {}, organization outside subject {}. HCL's
// message says only that the argument is not expected.
func hintNestedArguments(body hcl.Body, target any, diags hcl.Diagnostics) {
	syntax, ok := body.(*hclsyntax.Body)
	t := reflect.TypeOf(target)
	if !ok || t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return
	}
	var shape *structShape
	for _, d := range diags {
		if d.Summary != "Unsupported argument" || d.Subject == nil {
			continue
		}
		name := argumentAt(syntax, *d.Subject)
		if name == "" {
			continue
		}
		if shape == nil {
			shape = shapeOf(t.Elem())
		}
		if block := nestedBlockTaking(shape, name); block != "" {
			d.Detail += fmt.Sprintf(" %s belongs in a nested %s block: %s { %s = ... }.", name, block, block, name)
		}
	}
}

// argumentAt is the name of body's own argument whose name is at rng.
func argumentAt(body *hclsyntax.Body, rng hcl.Range) string {
	for name, attr := range body.Attributes {
		if attr.NameRange == rng {
			return name
		}
	}
	return ""
}

// nestedBlockTaking is the type of a block of s whose body takes the
// argument name, or "".
func nestedBlockTaking(s *structShape, name string) string {
	for _, b := range s.blocks {
		inner := shapeOf(b.elem)
		if inner.schema == nil {
			continue
		}
		for _, a := range inner.schema.Attributes {
			if a.Name == name {
				return b.name
			}
		}
	}
	return ""
}
