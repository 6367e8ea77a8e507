package main

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/certform/certform/approver"
	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
	"github.com/certform/certform/plan"
)

// predictApprovals sets on each change of p that submits a CSR the
// verdict the approver would give it under the policies in dir, with the
// requester the credentials in use authenticate as (docs/approver.md).
// Policies with context rules read the cluster as the approver does. In a
// fleet each certificate is predicted in its own cluster: the requester is
// who that cluster's credentials authenticate as, and context rules read
// that cluster's Services, Pods and Nodes.
func predictApprovals(ctx context.Context, w *workspace, p *plan.Plan, dir string, s Streams) error {
	policies, files, diags := approver.Load(w.cfg.Dir.Path(dir)) // a relative --policy is in the configuration directory
	if err := views.RenderDiagnostics(s.Err, files, diags, views.Colorizer{}, 0); err != nil {
		return err
	}
	if diags.HasErrors() {
		return errReported
	}
	byCluster := map[string]*plan.Plan{}
	for _, ch := range p.Changes {
		c := w.certificate(ch.Addr)
		if !ch.Action.Issues() || c == nil {
			continue
		}
		if byCluster[c.Cluster] == nil {
			byCluster[c.Cluster] = &plan.Plan{}
		}
		byCluster[c.Cluster].Changes = append(byCluster[c.Cluster].Changes, ch)
	}
	for _, name := range slices.Sorted(maps.Keys(byCluster)) {
		err := w.predictIn(ctx, name, byCluster[name], policies)
		if err != nil && (len(byCluster) > 1 || name != config.DefaultCluster) {
			err = fmt.Errorf("predicting the approvals of cluster %q: %w", name, err)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// predictIn predicts the changes of p, all of certificates of the named
// cluster, with that cluster's requester and objects. The changes share
// their pointers with the caller's plan.
func (w *workspace) predictIn(ctx context.Context, name string, p *plan.Plan, policies []*approver.Policy) error {
	c := w.conn(name)
	if err := c.connect(ctx, w); err != nil {
		return err
	}
	who, err := approver.WhoAmI(ctx, c.cs)
	if err != nil {
		return withHint(err, "plan --policy predicts with the requester the apiserver sees; it needs a reachable cluster")
	}
	view := approver.NewCluster(c.cs, policies)
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
