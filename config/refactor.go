package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// Moved is a moved block: the record at From in state now belongs to To,
// so renaming a block (or moving an instance) keeps its key and
// certificate. A From of a whole block moves every instance of it.
type Moved struct {
	From, To  RefAddr
	DeclRange hcl.Range
}

// Removed is a removed block: From (a block or one instance) left the
// configuration on purpose. With Destroy false certform forgets it and
// leaves its files, Secret and CSR in place.
type Removed struct {
	From      RefAddr
	Destroy   bool
	DeclRange hcl.Range
}

// Import is an import block: a key and certificate made another way are
// adopted for To, from files or a kubernetes.io/tls Secret.
type Import struct {
	To RefAddr
	// KeyFile and CertFile, relative to the configuration directory; both
	// empty when Secret is the source.
	KeyFile, CertFile string
	// Secret is the source Secret (tls.key, tls.crt); nil for files.
	Secret    *SecretOutput
	DeclRange hcl.Range
}

var movedSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "from", Required: true}, {Name: "to", Required: true}}}

var removedSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "from", Required: true}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "lifecycle"}},
}

type rawLifecycle struct {
	Destroy bool `hcl:"destroy"`
}

var importSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "to", Required: true}, {Name: "key_file"}, {Name: "cert_file"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "secret"}},
}

// decodeRefactors decodes the moved, removed and import blocks and checks
// what can be checked without state (refcheck.go).
func decodeRefactors(cfg *Config, byType map[string][]*hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, b := range byType["moved"] {
		content, d := b.Body.Content(movedSchema)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		from, d1 := refAddr("moved", "from", content.Attributes["from"])
		to, d2 := refAddr("moved", "to", content.Attributes["to"])
		if diags = append(append(diags, d1...), d2...); d1.HasErrors() || d2.HasErrors() {
			continue
		}
		cfg.Moved = append(cfg.Moved, &Moved{From: from, To: to, DeclRange: b.DefRange})
	}
	for _, b := range byType["removed"] {
		r, d := decodeRemoved(b, ctx)
		diags = append(diags, d...)
		if r != nil {
			cfg.Removed = append(cfg.Removed, r)
		}
	}
	for _, b := range byType["import"] {
		imp, d := decodeImport(b, ctx)
		diags = append(diags, d...)
		if imp != nil {
			cfg.Imports = append(cfg.Imports, imp)
		}
	}
	if diags.HasErrors() {
		return diags
	}
	return append(diags, checkRefactors(cfg)...)
}

func decodeRemoved(b *hcl.Block, ctx *hcl.EvalContext) (*Removed, hcl.Diagnostics) {
	content, diags := b.Body.Content(removedSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	from, d := refAddr("removed", "from", content.Attributes["from"])
	if diags = append(diags, d...); d.HasErrors() {
		return nil, diags
	}
	r := &Removed{From: from, Destroy: true, DeclRange: b.DefRange}
	switch n := len(content.Blocks); {
	case n == 0:
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing lifecycle block",
			Detail: "A removed block says whether certform deletes what it made for the address: add lifecycle { destroy = false } " +
				"to forget it and leave its files, Secret and CSR in place, or lifecycle { destroy = true } to delete them.",
			Subject: b.DefRange.Ptr(),
		})
	case n > 1:
		return nil, append(diags, duplicateBlock(content.Blocks[1], content.Blocks[0].DefRange))
	}
	var lc rawLifecycle
	if d := decodeBody(content.Blocks[0].Body, ctx, &lc); d.HasErrors() {
		return nil, append(diags, d...)
	}
	r.Destroy = lc.Destroy
	return r, diags
}

func decodeImport(b *hcl.Block, ctx *hcl.EvalContext) (*Import, hcl.Diagnostics) {
	content, diags := b.Body.Content(importSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	to, d := refAddr("import", "to", content.Attributes["to"])
	if diags = append(diags, d...); d.HasErrors() {
		return nil, diags
	}
	imp := &Import{To: to, DeclRange: b.DefRange}
	for name, dst := range map[string]*string{"key_file": &imp.KeyFile, "cert_file": &imp.CertFile} {
		a, ok := content.Attributes[name]
		if !ok {
			continue
		}
		if d := gohclDecode(a, ctx, dst); d.HasErrors() {
			diags = append(diags, d...)
		} else if *dst == "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty import path",
				Detail: name + " is empty; name the file to import.", Subject: a.Expr.Range().Ptr()})
		}
	}
	for i, sb := range content.Blocks {
		if i > 0 {
			diags = append(diags, duplicateBlock(sb, content.Blocks[0].DefRange))
			continue
		}
		var raw rawSecret
		if d := decodeBody(sb.Body, ctx, &raw); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		imp.Secret = &SecretOutput{Namespace: raw.Namespace, Name: raw.Name}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	files := imp.KeyFile != "" || imp.CertFile != ""
	switch {
	case files && imp.Secret != nil:
		diags = append(diags, importSourceError(b, "An import block takes its key and certificate from files (key_file and cert_file) or from a secret block, not both."))
	case files && (imp.KeyFile == "" || imp.CertFile == ""):
		diags = append(diags, importSourceError(b, "Set both key_file and cert_file: the key and the certificate issued for it."))
	case !files && imp.Secret == nil:
		diags = append(diags, importSourceError(b, `Name where the key and certificate are: key_file = "..." and cert_file = "...", or secret { namespace = "..."  name = "..." } for a kubernetes.io/tls Secret.`))
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return imp, diags
}

func importSourceError(b *hcl.Block, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid import source", Detail: detail, Subject: b.DefRange.Ptr()}
}

// gohclDecode evaluates one attribute into a string.
func gohclDecode(a *hcl.Attribute, ctx *hcl.EvalContext, dst *string) hcl.Diagnostics {
	return gohcl.DecodeExpression(a.Expr, ctx, dst)
}
