package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/state"
)

// EnvPrefix is the prefix of environment variables that set variables.
const EnvPrefix = "CERTFORM_VAR_"

// VarArg is one --var NAME=VALUE (File false) or --var-file PATH (File
// true) argument. They are applied in command-line order, later wins.
type VarArg struct {
	File  bool
	Value string
}

// Inputs are the values from outside the configuration: command-line
// arguments and the environment. Precedence, lowest first: a variable's
// default, CERTFORM_VAR_name, then --var and --var-file in the order given.
type Inputs struct {
	Args []VarArg
	Env  []string // KEY=VALUE pairs, as os.Environ returns them
	// Workspace is the selected workspace, certform.workspace in
	// expressions ("default" when empty).
	Workspace string
	// Saved are the values a saved plan was made with. They replace what
	// the other inputs would give; a variable the other inputs set to a
	// different value is an error that names it.
	Saved map[string]cty.Value
	// Values, when set, are the variables' values as an earlier load of
	// this configuration evaluated them (Config.Values): they are used as
	// they are, and no other input is read (a --var-file pipe cannot be
	// read twice). The evaluation of outputs after apply sets it.
	Values map[string]cty.Value
	// State, when set, gives output blocks the certificate attributes known
	// only after apply (serial_number, not_after, ...). Only the evaluation
	// of outputs after apply sets it: without it those attributes are
	// unknown, so nothing but outputs can depend on them.
	State *state.State
	// Dir is the directory the configuration's relative paths are taken
	// from (its files, modules, file(), ca_bundle files, variable files,
	// outputs): the configuration directory, absolute. Empty: the
	// process's working directory. Paths are shown and recorded as
	// written; Dir only places them on disk (internal/workdir).
	Dir workdir.Dir
}

// Variable is a variable block.
type Variable struct {
	Name        string
	Type        cty.Type
	Default     cty.Value // cty.NilVal when required
	Description string
	Sensitive   bool
	Validations []*Validation
	DeclRange   hcl.Range
}

// Validation is a validation block of a variable.
type Validation struct {
	Condition    hcl.Expression
	ErrorMessage string
	DeclRange    hcl.Range
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "condition", Required: true}, {Name: "error_message", Required: true}},
}

func decodeVariable(block *hcl.Block) (*Variable, hcl.Diagnostics) {
	v := &Variable{Name: block.Labels[0], Type: cty.DynamicPseudoType, DeclRange: block.DefRange}
	if !hclsyntax.ValidIdentifier(v.Name) {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid variable name",
			Detail: fmt.Sprintf("%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", v.Name), Subject: block.LabelRanges[0].Ptr()}}
	}
	content, diags := block.Body.Content(variableSchema)
	if a, ok := content.Attributes["type"]; ok {
		ty, d := typeexpr.TypeConstraint(a.Expr)
		diags = append(diags, d...)
		v.Type = ty
	}
	for name, target := range map[string]any{"description": &v.Description, "sensitive": &v.Sensitive} {
		if a, ok := content.Attributes[name]; ok {
			diags = append(diags, decodeStatic(a, target)...)
		}
	}
	if a, ok := content.Attributes["default"]; ok {
		val, d := a.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			conv, err := convert.Convert(val, v.Type)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid default value",
					Detail: fmt.Sprintf("The default of variable %q does not fit its type: %s.", v.Name, err), Subject: a.Expr.Range().Ptr()})
			}
			v.Default = conv
		}
	}
	for _, vb := range content.Blocks {
		vc, d := vb.Body.Content(validationSchema)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		val := &Validation{Condition: vc.Attributes["condition"].Expr, DeclRange: vb.DefRange}
		diags = append(diags, decodeStatic(vc.Attributes["error_message"], &val.ErrorMessage)...)
		v.Validations = append(v.Validations, val)
	}
	return v, diags
}

// decodeStatic evaluates an attribute that may not refer to anything.
func decodeStatic(a *hcl.Attribute, target any) hcl.Diagnostics {
	val, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	return append(diags, assign(val, a.Expr.Range(), target)...)
}

// variableValues resolves every declared variable's value from inputs.
func variableValues(vars map[string]*Variable, in Inputs, parse varFileParser) (map[string]cty.Value, hcl.Diagnostics) {
	if in.Values != nil {
		values := map[string]cty.Value{}
		for name := range vars {
			v, ok := in.Values[name]
			if !ok {
				v = cty.DynamicVal // declared since: the caller's load did not have it
			}
			values[name] = v
		}
		return values, nil
	}
	raw := map[string]rawValue{}
	var diags hcl.Diagnostics
	for _, kv := range in.Env {
		if name, val, ok := strings.Cut(strings.TrimPrefix(kv, EnvPrefix), "="); ok && strings.HasPrefix(kv, EnvPrefix) {
			if _, declared := vars[name]; declared { // undeclared env vars are ignored, as in Terraform
				raw[name] = rawValue{text: val, source: "environment variable " + EnvPrefix + name}
			}
		}
	}
	for _, arg := range in.Args {
		if arg.File {
			diags = append(diags, readVarFile(arg.Value, vars, raw, parse)...)
			continue
		}
		name, val, ok := strings.Cut(arg.Value, "=")
		// Never the value in a message: it may be a password, and CI keeps
		// stderr.
		if !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid --var argument",
				Detail: fmt.Sprintf("%q is not NAME=VALUE, e.g. --var namespace=prod.", arg.Value)})
			continue
		}
		if name == "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid --var argument",
				Detail: "--var =VALUE names no variable; give NAME=VALUE, e.g. --var namespace=prod."})
			continue
		}
		if _, declared := vars[name]; !declared {
			diags = append(diags, undeclared(name, vars, "--var "+name, nil))
			continue
		}
		raw[name] = rawValue{text: val, source: "--var " + name}
	}
	values := map[string]cty.Value{}
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		v := vars[name]
		if saved, ok := in.Saved[name]; ok {
			diags = append(diags, v.checkSaved(saved, raw)...)
			values[name] = saved
			continue
		}
		val, d := v.value(raw)
		diags = append(diags, d...)
		values[name] = val
	}
	return values, diags
}

// checkSaved refuses a value given now that differs from the one a saved
// plan was made with. Neither value is shown: either may be sensitive, and
// the source says enough to find it.
func (v *Variable) checkSaved(saved cty.Value, raw map[string]rawValue) hcl.Diagnostics {
	r, given := raw[v.Name]
	if !given {
		return nil
	}
	val, diags := v.value(raw)
	if diags.HasErrors() {
		return diags
	}
	if val.RawEquals(saved) {
		return nil
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Variable differs from the saved plan",
		Detail: fmt.Sprintf("The saved plan was made with another value of %q than %s gives now. A saved plan applies the values it was made with: "+
			"drop that setting, or make a new plan with it.", v.Name, r.source),
		Subject: v.DeclRange.Ptr()}}
}

// rawValue is a variable's value before conversion: command-line text, or
// an expression from a --var-file.
type rawValue struct {
	text   string
	expr   hcl.Expression
	source string
}

func (v *Variable) value(raw map[string]rawValue) (cty.Value, hcl.Diagnostics) {
	r, given := raw[v.Name]
	if !given {
		if v.Default == cty.NilVal {
			return cty.DynamicVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No value for required variable",
				Detail:  fmt.Sprintf("Variable %q has no default; set it with --var %s=VALUE, --var-file, or %s%s.", v.Name, v.Name, EnvPrefix, v.Name),
				Subject: v.DeclRange.Ptr()}}
		}
		return v.Default, nil
	}
	var val cty.Value
	var subject *hcl.Range
	switch {
	case r.expr != nil:
		var diags hcl.Diagnostics
		if val, diags = r.expr.Value(nil); diags.HasErrors() {
			return cty.DynamicVal, diags
		}
		subject = r.expr.Range().Ptr()
	case v.Type == cty.String || v.Type == cty.DynamicPseudoType:
		val = cty.StringVal(r.text) // a string is taken literally, as in Terraform
	default:
		expr, diags := hclsyntax.ParseExpression([]byte(r.text), r.source, hcl.InitialPos)
		if diags.HasErrors() {
			return cty.DynamicVal, diags
		}
		if val, diags = expr.Value(nil); diags.HasErrors() {
			return cty.DynamicVal, diags
		}
	}
	conv, err := convert.Convert(val, v.Type)
	if err != nil {
		// The source names where the value came from, never the value: it
		// is shown for sensitive variables too.
		return cty.DynamicVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail: fmt.Sprintf("The value of %q from %s does not fit its type %s: %s.", v.Name, r.source, typeexpr.TypeString(v.Type), err), Subject: subject}}
	}
	return conv, nil
}

func undeclared(name string, vars map[string]*Variable, source string, subject *hcl.Range) *hcl.Diagnostic {
	detail := fmt.Sprintf("%s sets %q, but no variable of that name is declared.", source, name)
	if s := suggest(name, slices.Collect(maps.Keys(vars))); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	} else {
		detail += fmt.Sprintf(` Declare it with variable %q { type = string }.`, name)
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Value for undeclared variable", Detail: detail, Subject: subject}
}

// checkValidations evaluates each variable's validation blocks.
func checkValidations(vars map[string]*Variable, values map[string]cty.Value, funcs map[string]function.Function) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		v := vars[name]
		ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{name: values[name]})}, Functions: funcs}
		for _, val := range v.Validations {
			ok, d := val.Condition.Value(ctx)
			diags = append(diags, d...)
			if d.HasErrors() || !ok.IsKnown() || ok.IsNull() {
				continue
			}
			if ok, err := convert.Convert(ok, cty.Bool); err != nil || ok.False() {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
					Detail: val.ErrorMessage + "\n\nThis was checked by the validation rule at " + val.DeclRange.String() + ".", Subject: val.Condition.Range().Ptr()})
			}
		}
	}
	return diags
}

// workspaceOf is the workspace the inputs select.
func workspaceOf(in Inputs) string {
	if in.Workspace == "" {
		return "default"
	}
	return in.Workspace
}
