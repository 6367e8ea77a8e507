package config

import (
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
)

// varFileParser parses an HCL file, recording it for diagnostics.
type varFileParser func(path string) (*hcl.File, hcl.Diagnostics)

// readVarFile records the attributes of a --var-file as raw values.
// Undeclared names are warnings, as in Terraform: a shared file may set
// variables that this configuration does not use.
func readVarFile(path string, vars map[string]*Variable, raw map[string]rawValue, parse varFileParser) hcl.Diagnostics {
	f, diags := parse(path)
	if diags.HasErrors() {
		return diags
	}
	attrs, d := f.Body.JustAttributes()
	diags = append(diags, d...)
	for name, a := range attrs {
		if _, declared := vars[name]; !declared {
			w := undeclared(name, vars, "The variable file "+path, a.NameRange.Ptr())
			w.Severity = hcl.DiagWarning
			diags = append(diags, w)
			continue
		}
		raw[name] = rawValue{expr: a.Expr, source: path}
	}
	return diags
}

// assign converts val into target, a pointer to a Go value.
func assign(val cty.Value, rng hcl.Range, target any) hcl.Diagnostics {
	return gohcl.DecodeExpression(staticExpr{val, rng}, nil, target)
}

// staticExpr is an already evaluated expression, for gohcl's conversions.
type staticExpr struct {
	val cty.Value
	rng hcl.Range
}

func (e staticExpr) Value(*hcl.EvalContext) (cty.Value, hcl.Diagnostics) { return e.val, nil }
func (e staticExpr) Variables() []hcl.Traversal                          { return nil }
func (e staticExpr) Range() hcl.Range                                    { return e.rng }
func (e staticExpr) StartRange() hcl.Range                               { return e.rng }

// suggest returns the candidate closest to name when it is close enough to
// be a likely typo, else "".
func suggest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(name, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// decodeBody is gohcl.DecodeBody without the cascade: an expression that
// failed to evaluate also fails to convert ("value must be known"), and
// that second diagnostic says nothing new.
func decodeBody(body hcl.Body, ctx *hcl.EvalContext, target any) hcl.Diagnostics {
	return decodeBodyIn(nil, body, ctx, target)
}

// decodeBodyIn is decodeBody taking bodies' content from cc.
func decodeBodyIn(cc *contentCache, body hcl.Body, ctx *hcl.EvalContext, target any) hcl.Diagnostics {
	diags := decodeStructIn(cc, body, ctx, target)
	hintNestedArguments(body, target, diags)
	unknown := func(d *hcl.Diagnostic) bool {
		return d.Summary == "Unsuitable value type" && strings.Contains(d.Detail, "must be known")
	}
	if len(diags) == 1 && unknown(diags[0]) {
		// Nothing failed here, so the value is unknown by design: it
		// depends on what only apply knows.
		diags[0].Summary = "Value not known before apply"
		diags[0].Detail = "This value depends on a certificate attribute known only after apply (serial_number, not_before, not_after, key_sha256, csr_name), " +
			"perhaps through a module output; only output blocks may use those. If the module it comes from has errors, fix those first."
	}
	if len(diags) < 2 {
		return diags
	}
	out := diags[:0]
	for _, d := range diags {
		if unknown(d) {
			continue
		}
		out = append(out, d)
	}
	return out
}
