package config

import (
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/certform/certform/internal/addrs"
)

// scope is one module instance being evaluated: the root configuration or
// a module call (one for_each element of it).
type scope struct {
	path    addrs.Module
	rootDir string // the configuration directory: relative paths resolve from it
	dir     string // this module's directory; rootDir for the root
	callers []string
	// clusters are the names kubernetes.NAME may refer to: the root's
	// kubernetes blocks, seen by every module.
	clusters []string
	in       Inputs
	parse    varFileParser
	count    *int // module instances so far, shared by the whole configuration
	// sensitive names the variables (and, once evaluate ran, the locals)
	// that carry a sensitive value.
	sensitive sensitivity
}

// evaluate decodes a module's blocks once its variables have values:
// locals and module calls in dependency order, then certificates, CA
// bundles and outputs. It adds the certificates and bundles to cfg and returns the
// module's outputs as an object (cfg.OutputValues too, for the root).
func (sc *scope) evaluate(cfg *Config, byType map[string][]*hcl.Block, values map[string]cty.Value) (cty.Value, hcl.Diagnostics) {
	locals, diags := collectLocals(byType["locals"])
	diags = append(diags, localsUsingCertificates(locals)...)
	if sc.sensitive == nil {
		sc.sensitive = sensitivity{}
	}
	sc.sensitive.withLocals(locals)
	calls, d := sc.readCalls(byType["module"])
	diags = append(diags, d...)
	nodes := map[string]node{}
	for _, l := range locals {
		nodes["local."+l.name] = node{local: l}
	}
	for _, c := range calls {
		nodes["module."+c.block.Labels[0]] = node{call: c}
	}
	order, d := orderNodes(nodes)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(values), "ca_bundle": bundleRefs(sc.path, byType["ca_bundle"]),
			"certform": cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal(workspaceOf(sc.in))}),
			"path":     sc.pathValue(), "kubernetes": clusterRefs(sc.clusters)},
		Functions: Functions(sc.in.Dir.Path(sc.rootDir)),
	}
	localsFailed, d := sc.evalNodes(cfg, order, calls, ctx)
	diags = append(diags, d...)
	if localsFailed {
		return cty.DynamicVal, diags
	}
	if sc.path.IsRoot() {
		diags = append(diags, decodeSettings(cfg, byType, ctx)...)
	}
	certs, d := sc.decodeResources(cfg, byType, ctx)
	diags = append(diags, d...)
	outputs, d := sc.decodeOutputValues(byType["output"], ctx, certs)
	diags = append(diags, d...)
	values2 := map[string]cty.Value{}
	for _, o := range outputs {
		values2[o.Name] = o.Value
	}
	if sc.path.IsRoot() {
		cfg.OutputValues = outputs
		diags = append(diags, decodeRefactors(cfg, byType, ctx)...)
	}
	return cty.ObjectVal(values2), diags
}

// pathValue is path.module (sc's directory relative to the configuration
// directory, with slashes) and path.root (".").
func (sc *scope) pathValue() cty.Value {
	rel, err := filepath.Rel(sc.rootDir, sc.dir)
	if err != nil {
		rel = sc.dir
	}
	return cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(filepath.ToSlash(rel)), "root": cty.StringVal(".")})
}

// decodeResources decodes sc's certificate and ca_bundle blocks, adds them
// to cfg and returns the certificates.
func (sc *scope) decodeResources(cfg *Config, byType map[string][]*hcl.Block, ctx *hcl.EvalContext) ([]*Certificate, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var certs []*Certificate
	seen := map[string]hcl.Range{}
	for _, b := range byType["certificate"] {
		if prev, dup := seen[b.Labels[0]]; dup {
			diags = append(diags, duplicateBlock(b, prev))
			continue
		}
		seen[b.Labels[0]] = b.DefRange
		c, d := decodeCertificate(b, sc.path, ctx, sc.sensitive)
		diags = append(diags, d...)
		certs = append(certs, c...)
	}
	cfg.Certificates = append(cfg.Certificates, certs...)
	seen = map[string]hcl.Range{}
	for _, b := range byType["ca_bundle"] {
		if prev, dup := seen[b.Labels[0]]; dup {
			diags = append(diags, duplicateBlock(b, prev))
			continue
		}
		seen[b.Labels[0]] = b.DefRange
		bundles, d := decodeCABundle(b, sc.path, ctx, sc.in.Dir.Path(sc.rootDir))
		diags = append(diags, d...)
		cfg.CABundles = append(cfg.CABundles, bundles...)
	}
	return certs, diags
}
