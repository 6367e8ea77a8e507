package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// FileSuffix is the suffix of configuration files.
const FileSuffix = ".hcl"

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "kubernetes"},
		{Type: "backend", LabelNames: []string{"type"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "certificate", LabelNames: []string{"name"}},
		{Type: "ca_bundle", LabelNames: []string{"name"}},
		{Type: "moved"},
		{Type: "removed"},
		{Type: "import"},
	},
}

// Load reads and evaluates every *.hcl file of dir with the given inputs.
// The returned Config is nil only when diagnostics hold an error that made
// evaluation impossible; callers must check diags.HasErrors() before using
// it. The files map holds every parsed file, for rendering diagnostics.
func Load(dir string, in Inputs) (*Config, map[string]*hcl.File, hcl.Diagnostics) {
	parser := sourceParser{hclparse.NewParser()}
	names, err := configFiles(dir)
	if err != nil {
		return nil, parser.Files(), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration directory",
			Detail:   fmt.Sprintf("%s. Run certform in a directory of *.hcl files, or pass --chdir DIR.", err),
		}}
	}
	if len(names) == 0 {
		return nil, parser.Files(), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail:   fmt.Sprintf("The directory %s holds no *%s files. Run certform in a configuration directory, or pass --chdir DIR.", absPath(dir), FileSuffix),
		}}
	}
	skip, diags := varFilesInConfig(dir, names, in.Args)
	var files []*hcl.File
	for _, name := range names {
		if skip[name] {
			parser.ParseHCLFile(filepath.Join(dir, name)) // only to quote it in the diagnostic
			continue
		}
		f, d := parser.ParseHCLFile(filepath.Join(dir, name))
		diags = append(diags, d...)
		if f == nil {
			continue
		}
		if vf := looksLikeVarFile(f); vf != nil && !d.HasErrors() {
			diags = append(diags, vf)
			continue
		}
		files = append(files, f)
	}
	if diags.HasErrors() {
		return nil, parser.Files(), diags
	}
	in.Args = append(autoVarFiles(dir), in.Args...)
	cfg, d := decode(hcl.MergeFiles(files), dir, in, parser.ParseHCLFile)
	explainUndeclared(d)
	diags = append(diags, d...)
	return cfg, parser.Files(), diags
}

// LoadSettings reads only the kubernetes and backend blocks of dir's
// configuration, which may not refer to variables: commands that manage
// where state is (workspace) need no variable values.
func LoadSettings(dir string) (*Config, map[string]*hcl.File, hcl.Diagnostics) {
	parser := sourceParser{hclparse.NewParser()} // bounded: state and status read it too
	names, err := configFiles(dir)
	if err != nil {
		return nil, parser.Files(), hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read configuration directory", Detail: err.Error() + "."}}
	}
	var diags hcl.Diagnostics
	var files []*hcl.File
	for _, name := range names {
		f, d := parser.ParseHCLFile(filepath.Join(dir, name))
		diags = append(diags, d...)
		if f != nil {
			files = append(files, f)
		}
	}
	if diags.HasErrors() {
		return nil, parser.Files(), diags
	}
	content, _, d := hcl.MergeFiles(files).PartialContent(rootSchema)
	diags = append(diags, d...)
	byType := map[string][]*hcl.Block{}
	for _, b := range content.Blocks {
		byType[b.Type] = append(byType[b.Type], b)
	}
	cfg := &Config{}
	diags = append(diags, decodeSettings(cfg, byType, &hcl.EvalContext{Functions: Functions(dir)})...)
	return cfg, parser.Files(), diags
}

// LoadSource evaluates a configuration held in memory, as if it were the
// single file filename in dir. Tests and fuzzing use it.
func LoadSource(src []byte, filename, dir string, in Inputs) (*Config, hcl.Diagnostics) {
	if diags := CheckNesting(src, filename); diags.HasErrors() {
		return nil, diags
	}
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	parser := sourceParser{hclparse.NewParser()}
	cfg, d := decode(f.Body, dir, in, parser.ParseHCLFile)
	explainUndeclared(d)
	return cfg, append(diags, d...)
}

func configFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), FileSuffix) && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// decode evaluates a merged body: variables first, then locals in
// dependency order, then the blocks that use them. It stops after the
// variables or locals when they have errors, since everything after would
// only repeat them.
func decode(body hcl.Body, dir string, in Inputs, parseVarFile varFileParser) (*Config, hcl.Diagnostics) {
	content, diags := body.Content(rootSchema)
	cfg := &Config{Variables: map[string]*Variable{}}
	byType := map[string][]*hcl.Block{}
	for _, b := range content.Blocks {
		byType[b.Type] = append(byType[b.Type], b)
	}
	for _, b := range byType["variable"] {
		if prev, dup := cfg.Variables[b.Labels[0]]; dup {
			diags = append(diags, duplicateBlock(b, prev.DeclRange))
			continue
		}
		v, d := decodeVariable(b)
		diags = append(diags, d...)
		if v != nil {
			cfg.Variables[v.Name] = v
		}
	}
	if diags.HasErrors() {
		return cfg, diags
	}
	values, d := variableValues(cfg.Variables, in, parseVarFile)
	diags = append(diags, d...)
	cfg.Values, cfg.Workspace = values, workspaceOf(in)
	if !d.HasErrors() {
		diags = append(diags, checkValidations(cfg.Variables, values, Functions(dir))...)
	}
	locals, d := collectLocals(byType["locals"])
	diags = append(diags, d...)
	order, d := orderLocals(locals)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return cfg, diags
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(values), "ca_bundle": bundleRefs(byType["ca_bundle"]),
			"certform": cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal(cfg.Workspace)})},
		Functions: Functions(dir),
	}
	if d := evalLocals(order, ctx); d.HasErrors() {
		return cfg, append(diags, d...)
	}
	diags = append(diags, decodeSettings(cfg, byType, ctx)...)
	diags = append(diags, decodeResources(cfg, byType, ctx, dir)...)
	diags = append(diags, decodeRefactors(cfg, byType, ctx)...)
	return cfg, diags
}

func decodeSettings(cfg *Config, byType map[string][]*hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, b := range byType["kubernetes"] {
		k, d := decodeKubernetes(b, ctx, cfg.Kubernetes)
		diags = append(diags, d...)
		cfg.Kubernetes = k
	}
	for _, b := range byType["backend"] {
		// No variables: the backend says where state is before anything
		// else, and one that moves with a variable would let an
		// environment's var file point at another's state. Environments
		// are workspaces.
		be, d := decodeBackend(b, &hcl.EvalContext{Functions: ctx.Functions}, cfg.Backend)
		explainBackendReferences(d)
		diags = append(diags, d...)
		cfg.Backend = be
	}
	return diags
}

func decodeResources(cfg *Config, byType map[string][]*hcl.Block, ctx *hcl.EvalContext, dir string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	for _, b := range byType["certificate"] {
		if prev, dup := seen[b.Labels[0]]; dup {
			diags = append(diags, duplicateBlock(b, prev))
			continue
		}
		seen[b.Labels[0]] = b.DefRange
		certs, d := decodeCertificate(b, ctx)
		diags = append(diags, d...)
		cfg.Certificates = append(cfg.Certificates, certs...)
	}
	seen = map[string]hcl.Range{}
	for _, b := range byType["ca_bundle"] {
		if prev, dup := seen[b.Labels[0]]; dup {
			diags = append(diags, duplicateBlock(b, prev))
			continue
		}
		seen[b.Labels[0]] = b.DefRange
		bundles, d := decodeCABundle(b, ctx, dir)
		diags = append(diags, d...)
		cfg.CABundles = append(cfg.CABundles, bundles...)
	}
	slices.SortFunc(cfg.Certificates, func(a, b *Certificate) int { return strings.Compare(a.Addr, b.Addr) })
	slices.SortFunc(cfg.CABundles, func(a, b *CABundle) int { return strings.Compare(a.Addr, b.Addr) })
	diags = append(diags, validateOutputs(cfg, dir)...)
	diags = append(diags, validateBundleRefs(cfg)...)
	diags = append(diags, warnFilesOnlyShared(cfg)...)
	return diags
}

// bundleRefs makes ca_bundle.NAME evaluate to the bundle's address, so a
// certificate can name a bundle as an expression.
func bundleRefs(blocks []*hcl.Block) cty.Value {
	refs := map[string]cty.Value{}
	for _, b := range blocks {
		refs[b.Labels[0]] = cty.StringVal("ca_bundle." + b.Labels[0])
	}
	return cty.ObjectVal(refs)
}

func duplicateBlock(block *hcl.Block, prev hcl.Range) *hcl.Diagnostic {
	name := block.Type
	if len(block.Labels) > 0 {
		name += fmt.Sprintf(" %q", block.Labels[0])
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Duplicate " + name + " block",
		Detail:   fmt.Sprintf("A %s block was already defined at %s. Give each block a unique name, or merge them.", name, prev),
		Subject:  block.DefRange.Ptr(),
	}
}

// absPath is dir made absolute for a message: "." names no directory.
func absPath(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
