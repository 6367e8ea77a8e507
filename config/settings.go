package config

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
)

type rawKubernetes struct {
	Kubeconfig string `hcl:"kubeconfig,optional"`
	Context    string `hcl:"context,optional"`
	InCluster  bool   `hcl:"in_cluster,optional"`
}

func decodeKubernetes(block *hcl.Block, ctx *hcl.EvalContext, prev *Kubernetes) (*Kubernetes, hcl.Diagnostics) {
	if prev != nil {
		return prev, hcl.Diagnostics{duplicateBlock(block, prev.DeclRange)}
	}
	name := DefaultCluster
	if len(block.Labels) == 1 {
		name = block.Labels[0]
		if d := checkName("kubernetes", block); d != nil {
			return nil, hcl.Diagnostics{d}
		}
		if name == DefaultCluster {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Reserved cluster name",
				Detail:  `kubernetes.default is the unnamed kubernetes block (or kubectl's defaults without one): write kubernetes { ... } without a name, or choose another name.`,
				Subject: block.LabelRanges[0].Ptr()}}
		}
	}
	var raw rawKubernetes
	diags := decodeBody(block.Body, ctx, &raw)
	if raw.InCluster && (raw.Kubeconfig != "" || raw.Context != "") {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Conflicting cluster settings",
			Detail:  "in_cluster = true uses the Pod's service account and reads no kubeconfig: remove kubeconfig and context, or in_cluster.",
			Subject: block.DefRange.Ptr()})
	}
	return &Kubernetes{Name: name, Kubeconfig: raw.Kubeconfig, Context: raw.Context, InCluster: raw.InCluster, DeclRange: block.DefRange}, diags
}

type rawLocalBackend struct {
	Path string `hcl:"path,optional"`
}

func decodeBackend(block *hcl.Block, ctx *hcl.EvalContext, prev *Backend) (*Backend, hcl.Diagnostics) {
	if prev != nil {
		return prev, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Duplicate backend block",
			Detail:   fmt.Sprintf("A configuration has one backend; another was defined at %s.", prev.DeclRange),
			Subject:  block.DefRange.Ptr(),
		}}
	}
	b := &Backend{Type: block.Labels[0], DeclRange: block.DefRange}
	switch b.Type {
	case "local":
		var raw rawLocalBackend
		diags := decodeBody(block.Body, ctx, &raw)
		b.Path = raw.Path
		return b, diags
	case "kubernetes":
		var raw rawKubernetesBackend
		diags := decodeBody(block.Body, ctx, &raw)
		b.Namespace, b.Name, b.LockTTL = raw.Namespace, raw.Name, 30*time.Second
		if raw.LockTTL != "" {
			d, err := time.ParseDuration(raw.LockTTL)
			if err != nil || d < time.Second {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid lock_ttl",
					Detail: fmt.Sprintf("%q is not a duration of at least 1s, e.g. \"30s\".", raw.LockTTL), Subject: block.DefRange.Ptr()})
			}
			b.LockTTL = d
		}
		return b, diags
	}
	return b, hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Unsupported backend type",
		Detail:   fmt.Sprintf("Backend type %q is not known; use \"local\" or \"kubernetes\".", b.Type),
		Subject:  block.LabelRanges[0].Ptr(),
	}}
}

type rawKubernetesBackend struct {
	Namespace string `hcl:"namespace"`
	Name      string `hcl:"name"`
	LockTTL   string `hcl:"lock_ttl,optional"`
}

// explainBackendReferences adds to HCL's "Variables not allowed" in a
// backend block what to do instead.
func explainBackendReferences(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Summary == "Variables not allowed" {
			d.Detail = "A backend block cannot refer to variables, locals or certform.workspace: it says where state is before " +
				"anything is evaluated. To keep environments such as staging and prod apart, keep one backend block and use " +
				"workspaces (certform workspace new staging, or CERTFORM_WORKSPACE=staging): each has its own state."
		}
	}
}
