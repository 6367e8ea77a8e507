package main

import (
	"context"

	"github.com/certform/certform/approver"
	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/plan"
)

// predictApprovals sets on each change of p that submits a CSR the
// verdict the approver would give it under the policies in dir, with the
// requester the credentials in use authenticate as (docs/approver.md).
// Policies with context rules read the cluster as the approver does.
func predictApprovals(ctx context.Context, w *workspace, p *plan.Plan, dir string, s Streams) error {
	policies, files, diags := approver.Load(dir)
	if err := views.RenderDiagnostics(s.Err, files, diags, views.Colorizer{}, 0); err != nil {
		return err
	}
	if diags.HasErrors() {
		return errReported
	}
	issues := false
	for _, ch := range p.Changes {
		issues = issues || ch.Action.Issues()
	}
	if !issues {
		return nil
	}
	cs, err := w.clientset()
	if err != nil {
		return err
	}
	who, err := approver.WhoAmI(ctx, cs)
	if err != nil {
		return withHint(err, "plan --policy predicts with the requester the apiserver sees; it needs a reachable cluster")
	}
	view := approver.NewCluster(cs, policies)
	if err := view.Start(ctx); err != nil {
		return withHint(err, "context rules read Services, Pods and Nodes; predicting them needs the rights the approver has")
	}
	pr := &approver.Predictor{Policies: policies, View: view, Who: who}
	return pr.PredictPlan(ctx, p, w.cfg)
}
