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
)

// FileSuffix is the suffix of configuration files.
const FileSuffix = ".hcl"

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "kubernetes"},
		{Type: "backend", LabelNames: []string{"type"}},
		{Type: "certificate", LabelNames: []string{"name"}},
	},
}

// Load reads and evaluates every *.hcl file of dir. The returned Config is
// nil only when diagnostics hold an error that made evaluation impossible;
// callers must check diags.HasErrors() before using it.
func Load(dir string) (*Config, map[string]*hcl.File, hcl.Diagnostics) {
	parser := hclparse.NewParser()
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
			Detail:   fmt.Sprintf("The directory %s holds no *%s files. Run certform in a configuration directory, or pass --chdir DIR.", dir, FileSuffix),
		}}
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
	cfg, d := decode(hcl.MergeFiles(files))
	diags = append(diags, d...)
	return cfg, parser.Files(), diags
}

// LoadSource evaluates a configuration held in memory, as if it were the
// single file named filename. Tests and fuzzing use it.
func LoadSource(src []byte, filename string) (*Config, hcl.Diagnostics) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	cfg, d := decode(f.Body)
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

func decode(body hcl.Body) (*Config, hcl.Diagnostics) {
	content, diags := body.Content(rootSchema)
	cfg := &Config{}
	ctx := evalContext()
	seen := map[string]hcl.Range{}
	for _, block := range content.Blocks {
		switch block.Type {
		case "kubernetes":
			k, d := decodeKubernetes(block, ctx, cfg.Kubernetes)
			diags = append(diags, d...)
			cfg.Kubernetes = k
		case "backend":
			b, d := decodeBackend(block, ctx, cfg.Backend)
			diags = append(diags, d...)
			cfg.Backend = b
		case "certificate":
			if prev, dup := seen[block.Labels[0]]; dup {
				diags = append(diags, duplicateBlock(block, prev))
				continue
			}
			seen[block.Labels[0]] = block.DefRange
			certs, d := decodeCertificate(block, ctx)
			diags = append(diags, d...)
			cfg.Certificates = append(cfg.Certificates, certs...)
		}
	}
	slices.SortFunc(cfg.Certificates, func(a, b *Certificate) int { return strings.Compare(a.Addr, b.Addr) })
	diags = append(diags, validateOutputs(cfg.Certificates)...)
	return cfg, diags
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
