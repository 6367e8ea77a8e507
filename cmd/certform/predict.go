package main

import (
	"context"
	"fmt"

	"github.com/certform/certform/approver"
	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/plan"
)

// predictApprovals sets on each change of p that submits a CSR the
// verdict the approver would give it under the policies in dir, with the
// requester the credentials in use authenticate as (docs/approver.md).
// Policies with context rules read the cluster as the approver does.
func predictApprovals(ctx context.Context, w *workspace, p *plan.Plan, dir string, s Streams) error {
	policies, files, diags := approver.Load(w.cfg.Dir.Path(dir)) // a relative --policy is in the configuration directory
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

// validatePolicy predicts the approver's verdict on every certificate of
// the configuration as if each were issued now, and fails when any would
// be denied: validate --policy, for a CI step before the plan.
func validatePolicy(ctx context.Context, w *workspace, dir string, s Streams) (int, error) {
	all := &plan.Plan{}
	for _, c := range w.cfg.Certificates {
		all.Changes = append(all.Changes, &plan.Change{Addr: c.Addr, Action: plan.Create})
	}
	if err := predictApprovals(ctx, w, all, dir, s); err != nil {
		return exitError, err
	}
	for _, ch := range all.Changes {
		if a := ch.Approval; a != nil {
			fmt.Fprintf(s.Out, "%s: %s\n", ch.Addr, views.ApprovalWords(a))
		} else {
			fmt.Fprintf(s.Out, "%s: approves itself (self_approve)\n", ch.Addr)
		}
	}
	if denied := all.Denied(); len(denied) > 0 {
		return exitError, withHint(fmt.Errorf("the approver's policies in %s would deny %d certificate(s)", dir, len(denied)),
			"certform approve --policy DIR --explain CSR shows every rule a submitted CSR fails")
	}
	return exitOK, nil
}
