package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// DefaultCluster is the name of the cluster the unnamed kubernetes block
// describes (or, without one, kubectl's defaults). A certificate or
// ca_bundle without a cluster attribute lives there; kubernetes.default
// refers to it.
const DefaultCluster = "default"

// clusterType is the type of a cluster reference, kubernetes.NAME: a
// capsule, so that no string, variable or local can pass for one.
var clusterType = cty.Capsule("cluster", reflect.TypeOf(""))

// ClusterNames returns the names of the clusters cfg declares, the
// default first and then the named ones sorted.
func (cfg *Config) ClusterNames() []string {
	names := []string{DefaultCluster}
	for name := range cfg.Clusters {
		names = append(names, name)
	}
	slices.Sort(names[1:])
	return names
}

// Cluster returns how to reach the named cluster: nil for the default
// cluster without a kubernetes block (kubectl's defaults).
func (cfg *Config) Cluster(name string) *Kubernetes {
	if name == DefaultCluster {
		return cfg.Kubernetes
	}
	return cfg.Clusters[name]
}

// clusterRefs is the value of kubernetes in expressions: an object with
// one cluster reference per declared cluster, default included, so that
// kubernetes.eu, kubernetes[each.key] and for_each = kubernetes work.
func clusterRefs(names []string) cty.Value {
	refs := map[string]cty.Value{}
	for _, n := range names {
		n := n
		refs[n] = cty.CapsuleVal(clusterType, &n)
	}
	return cty.ObjectVal(refs)
}

// clusterNamesOf returns the cluster names the kubernetes blocks declare:
// the default, and each labelled block's label.
func clusterNamesOf(blocks []*hcl.Block) []string {
	names := []string{DefaultCluster}
	for _, b := range blocks {
		if len(b.Labels) == 1 && !slices.Contains(names, b.Labels[0]) {
			names = append(names, b.Labels[0])
		}
	}
	return names
}

// decodeClusterRef evaluates a cluster attribute: a reference to a
// kubernetes block (kubernetes.eu, kubernetes[each.key], each.value under
// for_each = kubernetes). A nil expression is the default cluster.
func decodeClusterRef(expr hcl.Expression, ctx *hcl.EvalContext) (string, hcl.Diagnostics) {
	if expr == nil {
		return DefaultCluster, nil
	}
	known := clusterNamesIn(ctx)
	if d := checkClusterName(expr, ctx, known); d != nil {
		return DefaultCluster, hcl.Diagnostics{d}
	}
	val, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return DefaultCluster, diags
	}
	if val.IsNull() {
		return DefaultCluster, diags
	}
	if !val.IsKnown() || !val.Type().Equals(clusterType) {
		return DefaultCluster, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid cluster reference",
			Detail: fmt.Sprintf("cluster takes a reference to a kubernetes block, such as kubernetes.%s or kubernetes[each.key], not %s. "+
				"Declare the cluster with kubernetes \"NAME\" { context = \"...\" } and refer to it by that name, without quotes.",
				exampleCluster(known), friendlyType(val)),
			Subject: expr.Range().Ptr(),
		})
	}
	return *val.EncapsulatedValue().(*string), diags
}

// checkClusterName reports a reference to an undeclared cluster, naming
// the closest declared one: kubernetes.NAME and kubernetes["NAME"] are
// checked as written, kubernetes[EXPR] once its key is evaluated.
func checkClusterName(expr hcl.Expression, ctx *hcl.EvalContext, known []string) *hcl.Diagnostic {
	var name string
	var rng hcl.Range
	if trav, d := hcl.AbsTraversalForExpr(expr); !d.HasErrors() && trav.RootName() == "kubernetes" && len(trav) == 2 {
		switch step := trav[1].(type) {
		case hcl.TraverseAttr:
			name, rng = step.Name, step.SrcRange
		case hcl.TraverseIndex:
			if step.Key.Type() != cty.String || step.Key.IsNull() {
				return nil
			}
			name, rng = step.Key.AsString(), step.SrcRange
		}
	} else if ix, ok := expr.(*hclsyntax.IndexExpr); ok {
		root, isTrav := ix.Collection.(*hclsyntax.ScopeTraversalExpr)
		if !isTrav || len(root.Traversal) != 1 || root.Traversal.RootName() != "kubernetes" {
			return nil
		}
		key, d := ix.Key.Value(ctx)
		if d.HasErrors() || key.IsNull() || !key.IsKnown() || key.Type() != cty.String {
			return nil
		}
		name, rng = key.AsString(), ix.Key.Range()
	} else {
		return nil
	}
	if slices.Contains(known, name) {
		return nil
	}
	detail := fmt.Sprintf("No kubernetes block is named %q; the configuration declares %s.", name, strings.Join(quoted(known), ", "))
	if s := suggest(name, known); s != "" {
		detail += fmt.Sprintf(" Did you mean kubernetes.%s?", s)
	} else {
		detail += fmt.Sprintf(" Declare it in the root configuration: kubernetes %q { context = \"...\" }.", name)
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown cluster", Detail: detail, Subject: rng.Ptr()}
}

// clusterNamesIn lists the clusters kubernetes holds in ctx.
func clusterNamesIn(ctx *hcl.EvalContext) []string {
	var v cty.Value
	ok := false
	for c := ctx; c != nil && !ok; c = c.Parent() { // for_each instances evaluate in a child context
		v, ok = c.Variables["kubernetes"]
	}
	if !ok || !v.Type().IsObjectType() {
		return []string{DefaultCluster}
	}
	var names []string
	for name := range v.Type().AttributeTypes() {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func exampleCluster(known []string) string {
	for _, n := range known {
		if n != DefaultCluster {
			return n
		}
	}
	return "eu"
}

func friendlyType(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	if v.Type() == cty.String && v.IsKnown() {
		return fmt.Sprintf("the string %q", v.AsString())
	}
	name := v.Type().FriendlyName()
	if strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "kubernetes." + n
	}
	return out
}

// isNullAttr reports whether an optional attribute was left out (gohcl
// gives a null expression for it) or set to null.
func isNullAttr(expr hcl.Expression, ctx *hcl.EvalContext) bool {
	v, d := expr.Value(ctx)
	return !d.HasErrors() && v.IsNull()
}

// namedKubernetesSchema finds the labelled kubernetes blocks, which
// rootSchema (where kubernetes takes no label) cannot: HCL has no optional
// labels, so the root body is read twice and each reading's complaint
// about the other form is dropped.
var namedKubernetesSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "kubernetes", LabelNames: []string{"name"}}}}

// rootContent reads a root body with rootSchema, kubernetes blocks with
// and without a name included. partial ignores what rootSchema does not
// know (LoadSettings).
func rootContent(body hcl.Body, partial bool) (*hcl.BodyContent, hcl.Diagnostics) {
	var content *hcl.BodyContent
	var diags hcl.Diagnostics
	if partial {
		content, _, diags = body.PartialContent(rootSchema)
	} else {
		content, diags = body.Content(rootSchema)
	}
	diags = dropSummary(diags, "Extraneous label for kubernetes")
	named, _, d := body.PartialContent(namedKubernetesSchema)
	diags = append(diags, dropSummary(d, "Missing name for kubernetes")...)
	if content == nil {
		return content, diags
	}
	for _, b := range named.Blocks {
		content.Blocks = append(content.Blocks, b)
	}
	return content, diags
}

func dropSummary(diags hcl.Diagnostics, summary string) hcl.Diagnostics {
	out := diags[:0:0]
	for _, d := range diags {
		if d.Summary != summary {
			out = append(out, d)
		}
	}
	return out
}
