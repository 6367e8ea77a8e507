package config

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/certform/certform/internal/addrs"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/internal/workdir"
)

// moduleSchema is the part of a module block certform reads itself; every
// other attribute sets one of the module's variables.
var moduleSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "source", Required: true}, {Name: "for_each"}},
}

// moduleCall is a module block after its source is read.
type moduleCall struct {
	block   *hcl.Block
	forEach *hcl.Attribute
	args    hcl.Attributes
	dir     string                  // the module's directory
	byType  map[string][]*hcl.Block // the module's blocks
}

// readCalls reads sc's module blocks: their sources and the modules' files.
func (sc *scope) readCalls(blocks []*hcl.Block) (map[string]*moduleCall, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	calls := map[string]*moduleCall{}
	seen := map[string]hcl.Range{}
	for _, b := range blocks {
		if prev, dup := seen[b.Labels[0]]; dup {
			diags = append(diags, duplicateBlock(b, prev))
			continue
		}
		seen[b.Labels[0]] = b.DefRange
		if d := checkName("module", b); d != nil {
			diags = append(diags, d)
			continue
		}
		call, d := sc.readCall(b)
		diags = append(diags, d...)
		if call != nil {
			calls[b.Labels[0]] = call
		}
	}
	return calls, diags
}

// readCall checks a module block's source and reads the module's files.
func (sc *scope) readCall(b *hcl.Block) (*moduleCall, hcl.Diagnostics) {
	content, rest, diags := b.Body.PartialContent(moduleSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	args, d := rest.JustAttributes()
	diags = append(diags, d...)
	srcAttr := content.Attributes["source"]
	srcVal, d := srcAttr.Expr.Value(nil)
	if d.HasErrors() || srcVal.IsNull() || !srcVal.Type().Equals(cty.String) {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid module source",
			Detail:  `source must be a literal string, such as "./modules/service-cert": certform reads modules before it evaluates anything.`,
			Subject: srcAttr.Expr.Range().Ptr()})
	}
	dir, diag := resolveSource(srcVal.AsString(), sc.dir, srcAttr.Expr.Range())
	if diag != nil {
		return nil, append(diags, diag)
	}
	abs, chain := sc.in.Dir.Abs(dir), append(sc.callers[:len(sc.callers):len(sc.callers)], sc.in.Dir.Abs(sc.dir))
	switch {
	case slices.Contains(chain, abs):
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Module calls itself",
			Detail:  fmt.Sprintf("%s is this module or one that calls it (%s), so the calls would never end. Break the cycle.", srcVal.AsString(), strings.Join(append(chain, abs), " -> ")),
			Subject: srcAttr.Expr.Range().Ptr()})
	case sc.path.Depth() >= limits.ModuleDepth:
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Modules nested too deeply",
			Detail:  fmt.Sprintf("This module call is %d levels deep; certform allows %d. Flatten the modules.", sc.path.Depth()+1, limits.ModuleDepth),
			Subject: b.DefRange.Ptr()})
	}
	byType, d := readModuleDir(sc.in.Dir, dir, sc.parse, srcAttr.Expr.Range())
	diags = append(diags, d...)
	if byType == nil {
		return nil, diags
	}
	return &moduleCall{block: b, forEach: content.Attributes["for_each"], args: args, dir: dir, byType: byType}, diags
}

// resolveSource turns a module source into the module's directory. Only
// local directories exist today; a registry or git source would be another
// case here that fetches the module into the data directory and returns
// where it put it, so the rest of the loader does not change.
func resolveSource(source, callerDir string, rng hcl.Range) (string, *hcl.Diagnostic) {
	if strings.HasPrefix(source, "./") || strings.HasPrefix(source, "../") {
		return filepath.Join(callerDir, filepath.FromSlash(source)), nil
	}
	detail := fmt.Sprintf("%q is not a local directory. certform loads modules only from local directories, written as a path starting with ./ or ../ (relative to the calling module's directory); "+
		"registry, git and other remote sources are not supported yet. Copy the module into the repository and point source at it.", source)
	if filepath.IsAbs(source) {
		detail = fmt.Sprintf("%q is an absolute path; write it relative to the calling module's directory, starting with ./ or ../, so the configuration works in every checkout.", source)
	}
	return "", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported module source", Detail: detail, Subject: rng.Ptr()}
}

// readModuleDir parses every configuration file of a module directory and
// sorts its blocks by type.
func readModuleDir(base workdir.Dir, dir string, parse func(string) (*hcl.File, hcl.Diagnostics), rng hcl.Range) (map[string][]*hcl.Block, hcl.Diagnostics) {
	names, err := configFiles(base.Path(dir))
	if err != nil || len(names) == 0 {
		why := fmt.Sprintf("%s holds no *%s files", dir, FileSuffix)
		if err != nil {
			why = unwrapPathError(err).Error()
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read module",
			Detail: fmt.Sprintf("The module directory %s cannot be used: %s. Check the source path.", dir, why), Subject: rng.Ptr()}}
	}
	var diags hcl.Diagnostics
	var files []*hcl.File
	for _, name := range names {
		f, d := parse(filepath.Join(dir, name))
		diags = append(diags, d...)
		if f != nil {
			files = append(files, f)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	content, d := rootContent(hcl.MergeFiles(files), false)
	diags = append(diags, d...)
	byType := map[string][]*hcl.Block{}
	for _, b := range content.Blocks {
		byType[b.Type] = append(byType[b.Type], b)
	}
	for _, t := range []string{"moved", "removed", "import"} {
		for _, b := range byType[t] {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Refactoring block in a module",
				Detail: fmt.Sprintf("certform reads %s blocks only in the root configuration, so this one would do nothing. "+
					"Move it to the root and write its addresses with the module path, e.g. module.NAME.certificate.tls.", t),
				Subject: b.DefRange.Ptr()})
		}
	}
	for _, t := range []string{"kubernetes", "backend"} {
		for _, b := range byType[t] {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Settings block in a module",
				Detail:  fmt.Sprintf("A %s block belongs in the root configuration: a module only declares certificates, CA bundles and outputs for whoever calls it. Move it to the root.", t),
				Subject: b.DefRange.Ptr()})
		}
	}
	return byType, diags
}

// evalCall evaluates every instance of a module call and returns its
// outputs for the caller.
func (sc *scope) evalCall(cfg *Config, call *moduleCall, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	name := call.block.Labels[0]
	vars := map[string]*Variable{}
	var diags hcl.Diagnostics
	for _, b := range call.byType["variable"] {
		if prev, dup := vars[b.Labels[0]]; dup {
			diags = append(diags, duplicateBlock(b, prev.DeclRange))
			continue
		}
		v, d := decodeVariable(b)
		diags = append(diags, d...)
		if v != nil {
			vars[v.Name] = v
		}
	}
	diags = append(diags, checkArgs(call, vars)...)
	instances, d := forEachInstances(call.forEach, ctx)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	byKey := map[string]cty.Value{}
	for _, in := range instances {
		if *sc.count++; *sc.count > limits.ModuleInstances {
			return cty.DynamicVal, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Too many module instances",
				Detail:  fmt.Sprintf("The configuration expands to more than %d module instances; certform stops there. Check the for_each of the module calls.", limits.ModuleInstances),
				Subject: call.block.DefRange.Ptr()})
		}
		values, d := callValues(call, vars, in.ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			byKey[in.key] = cty.DynamicVal
			continue
		}
		child := &scope{path: sc.path.Child(addrs.Step{Name: name, Key: in.key, HasKey: in.hasKey}), rootDir: sc.rootDir, dir: call.dir, clusters: sc.clusters,
			callers: append(sc.callers[:len(sc.callers):len(sc.callers)], sc.in.Dir.Abs(sc.dir)), in: sc.in, parse: sc.parse, count: sc.count,
			sensitive: sensitivity{}}
		for vname, v := range vars {
			arg := call.args[vname]
			child.sensitive["var."+vname] = v.Sensitive || arg != nil && (sc.sensitive.refers(arg.Expr) || sc.sensitive.refersAttr(call.forEach) && refersToEach(arg.Expr))
		}
		diags = append(diags, checkValidations(vars, values, Functions(sc.in.Dir.Path(sc.rootDir)))...)
		out, d := child.evaluate(cfg, call.byType, values)
		diags = append(diags, d...)
		byKey[in.key] = out
	}
	if call.forEach == nil {
		return byKey[""], diags
	}
	return cty.ObjectVal(byKey), diags
}

// unsupportedMeta are Terraform's module meta-arguments that certform does
// not have, with what to do instead (unless the module declares a variable
// of that name).
var unsupportedMeta = map[string]string{
	"count":      "count is not supported on module blocks; use for_each, e.g. for_each = toset([\"a\", \"b\"]), and each.key.",
	"version":    "version is for registry modules, which certform does not load yet; a local module has no version. Remove it.",
	"providers":  "certform has no providers; remove providers.",
	"depends_on": "depends_on is not needed: certform orders module calls by the values they use. Remove it.",
}

// checkArgs reports module arguments that set no variable of the module.
func checkArgs(call *moduleCall, vars map[string]*Variable) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range sortedAttrNames(call.args) {
		if _, ok := vars[name]; ok {
			continue
		}
		if meta, ok := unsupportedMeta[name]; ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported module argument",
				Detail: meta, Subject: call.args[name].NameRange.Ptr()})
			continue
		}
		detail := fmt.Sprintf("The module in %s declares no variable %q.", call.dir, name)
		if s := suggest(name, slices.Collect(maps.Keys(vars))); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		} else {
			detail += fmt.Sprintf(` Declare it in the module with variable %q {}, or remove the argument.`, name)
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported module argument", Detail: detail, Subject: call.args[name].NameRange.Ptr()})
	}
	return diags
}

// callValues evaluates one module instance's arguments into its variables'
// values, with defaults for those not set.
func callValues(call *moduleCall, vars map[string]*Variable, ctx *hcl.EvalContext) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	values := map[string]cty.Value{}
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		v := vars[name]
		arg, set := call.args[name]
		if !set {
			if v.Default == cty.NilVal {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing required module argument",
					Detail:  fmt.Sprintf("The module's variable %q (declared at %s) has no default; set it in this module block: %s = ...", name, v.DeclRange, name),
					Subject: call.block.DefRange.Ptr()})
			}
			values[name] = v.Default
			continue
		}
		val, d := arg.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			values[name] = cty.DynamicVal
			continue
		}
		if !val.IsWhollyKnown() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Module argument not known",
				Detail: fmt.Sprintf("%s depends on a value that is not known when the configuration is read: a certificate attribute known only after apply (serial_number, not_before, not_after, key_sha256, csr_name), "+
					"which only output blocks may use, or an output of a module with errors.", name),
				Subject: arg.Expr.Range().Ptr()})
			values[name] = cty.DynamicVal
			continue
		}
		conv, err := convert.Convert(val, v.Type)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for module argument",
				Detail:  fmt.Sprintf("The value of %s does not fit the type of the module's variable (declared at %s): %s.", name, v.DeclRange, err),
				Subject: arg.Expr.Range().Ptr()})
			conv = cty.DynamicVal
		}
		values[name] = conv
	}
	return values, diags
}
