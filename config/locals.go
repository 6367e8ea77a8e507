package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// local is one attribute of a locals block.
type local struct {
	name string
	attr *hcl.Attribute
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
			locals[name] = &local{name: name, attr: a}
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
