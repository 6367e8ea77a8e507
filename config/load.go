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

	"github.com/certform/certform/internal/addrs"
	"github.com/certform/certform/internal/workdir"
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
		{Type: "module", LabelNames: []string{"name"}},
		{Type: "output", LabelNames: []string{"name"}},
	},
}

// Load reads and evaluates every *.hcl file of dir with the given inputs.
// The returned Config is nil only when diagnostics hold an error that made
// evaluation impossible; callers must check diags.HasErrors() before using
// it. The files map holds every parsed file, for rendering diagnostics.
func Load(dir string, in Inputs) (*Config, map[string]*hcl.File, hcl.Diagnostics) {
	parser := sourceParser{hclparse.NewParser(), in.Dir}
	names, err := configFiles(in.Dir.Path(dir))
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
			Detail:   fmt.Sprintf("The directory %s holds no *%s files. Run certform in a configuration directory, or pass --chdir DIR.", in.Dir.Abs(dir), FileSuffix),
		}}
	}
	skip, diags := varFilesInConfig(in.Dir, dir, names, in.Args)
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
	if in.Values == nil {
		in.Args = append(autoVarFiles(in.Dir, dir), in.Args...)
	}
	cfg, d := decode(hcl.MergeFiles(files), dir, in, parser.ParseHCLFile)
	explainUndeclared(d)
	diags = append(diags, d...)
	return cfg, parser.Files(), diags
}

// LoadSettings reads only the kubernetes and backend blocks of dir's
// configuration, which may not refer to variables: commands that manage
// where state is (workspace) need no variable values. A relative dir, and
// the configuration's relative paths, are taken from base (Inputs.Dir).
func LoadSettings(dir string, base workdir.Dir) (*Config, map[string]*hcl.File, hcl.Diagnostics) {
	parser := sourceParser{hclparse.NewParser(), base} // bounded: state and status read it too
	names, err := configFiles(base.Path(dir))
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
	content, d := rootContent(hcl.MergeFiles(files), true)
	diags = append(diags, d...)
	byType := map[string][]*hcl.Block{}
	for _, b := range content.Blocks {
		byType[b.Type] = append(byType[b.Type], b)
	}
	cfg := &Config{Dir: base}
	diags = append(diags, decodeSettings(cfg, byType, &hcl.EvalContext{Functions: Functions(base.Path(dir))})...)
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
	parser := sourceParser{hclparse.NewParser(), in.Dir}
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

// decode evaluates a merged body: variables first, then the rest of the
// root module (scope.evaluate), then the checks across the whole
// configuration, modules included. It stops after the variables when they
// have errors, since everything after would only repeat them.
func decode(body hcl.Body, dir string, in Inputs, parseVarFile varFileParser) (*Config, hcl.Diagnostics) {
	content, diags := rootContent(body, false)
	cfg := &Config{Variables: map[string]*Variable{}, Dir: in.Dir}
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
		diags = append(diags, checkValidations(cfg.Variables, values, Functions(in.Dir.Path(dir)))...)
	}
	if diags.HasErrors() {
		return cfg, diags
	}
	root := &scope{rootDir: dir, dir: dir, in: in, parse: parseVarFile, count: new(int), sensitive: sensitivity{},
		clusters: clusterNamesOf(byType["kubernetes"])}
	for name, v := range cfg.Variables {
		root.sensitive["var."+name] = v.Sensitive
	}
	_, d = root.evaluate(cfg, byType, values)
	diags = append(diags, d...)
	slices.SortFunc(cfg.Certificates, func(a, b *Certificate) int { return strings.Compare(a.Addr, b.Addr) })
	slices.SortFunc(cfg.CABundles, func(a, b *CABundle) int { return strings.Compare(a.Addr, b.Addr) })
	diags = append(diags, validateOutputs(cfg, dir)...)
	diags = append(diags, validateSecrets(cfg)...)
	diags = append(diags, validateBundleRefs(cfg)...)
	diags = append(diags, warnFilesOnlyShared(cfg)...)
	return cfg, redact(dedupe(diags), sensitiveStrings(cfg))
}

// dedupe drops diagnostics identical to an earlier one: a mistake in a
// module called with for_each, or in a certificate block with for_each,
// is the same mistake in every instance and is reported once.
func dedupe(diags hcl.Diagnostics) hcl.Diagnostics {
	type id struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		subject         hcl.Range
	}
	seen := map[id]bool{}
	out := diags[:0:0]
	for _, d := range diags {
		k := id{sev: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.subject = *d.Subject
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	return out
}

func decodeSettings(cfg *Config, byType map[string][]*hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, b := range byType["kubernetes"] {
		if len(b.Labels) == 0 {
			k, d := decodeKubernetes(b, ctx, cfg.Kubernetes)
			diags = append(diags, d...)
			cfg.Kubernetes = k
			continue
		}
		if cfg.Clusters == nil {
			cfg.Clusters = map[string]*Kubernetes{}
		}
		k, d := decodeKubernetes(b, ctx, cfg.Clusters[b.Labels[0]])
		diags = append(diags, d...)
		if k != nil {
			cfg.Clusters[k.Name] = k
		}
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

// bundleRefs makes ca_bundle.NAME evaluate to the address of the bundle
// of module mod, so a certificate can name a bundle as an expression.
func bundleRefs(mod addrs.Module, blocks []*hcl.Block) cty.Value {
	refs := map[string]cty.Value{}
	for _, b := range blocks {
		refs[b.Labels[0]] = cty.StringVal(addrs.Addr{Module: mod, Kind: addrs.CABundle, Name: b.Labels[0]}.String())
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
