package main

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/certform/certform/apply"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/plan"
	kubebackend "github.com/certform/certform/state/backend/kubernetes"
)

// missingAccess asks the cluster, before anything is submitted, whether
// the user may do everything executing p takes (and what the state backend
// does), and returns an error listing every missing permission with the
// RBAC rules that grant them, or nil.
func (w *workspace) missingAccess(ctx context.Context, p *plan.Plan, noWait bool) (*kube.AccessError, error) {
	needs := apply.Permissions(p, w.cfg, noWait)
	if k, ok := w.backend.(*kubebackend.Backend); ok {
		needs = append(needs, k.Permissions()...)
	}
	if len(needs) == 0 {
		return nil, nil
	}
	cs, err := w.clientset()
	if err != nil {
		return nil, err
	}
	missing, err := kube.CheckAccess(ctx, cs.AuthorizationV1().SelfSubjectAccessReviews(), needs)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	return &kube.AccessError{Missing: missing, For: "to apply this plan"}, nil
}

// requireAccess fails with every missing permission; when the check
// itself cannot be made, it warns and lets the run go on (each call still
// names the rule it lacks).
func (w *workspace) requireAccess(ctx context.Context, p *plan.Plan, noWait bool, s Streams) error {
	missing, err := w.missingAccess(ctx, p, noWait)
	if err != nil {
		fmt.Fprintf(s.Err, "certform: warning: could not check permissions before applying: %v\n", err)
		return nil
	}
	if missing != nil {
		missing.For += "; nothing was submitted"
		return withHint(missing, "grant them, then run again; "+missing.Grant())
	}
	return nil
}

// warnAccess prints, after a plan, the permissions applying it would lack.
func (w *workspace) warnAccess(ctx context.Context, p *plan.Plan, s Streams) {
	if f := w.fleet; f != nil && len(f.parts) > 1 {
		for _, part := range f.live() {
			sub := p.Only(part)
			if !sub.HasChanges() {
				continue
			}
			missing, err := kube.CheckAccess(ctx, f.conns[part.Cluster].cs.AuthorizationV1().SelfSubjectAccessReviews(), apply.Permissions(sub, part.Config, false))
			if err == nil && len(missing) > 0 {
				access := &kube.AccessError{Missing: missing, For: fmt.Sprintf("to apply the changes in cluster %q", part.Cluster)}
				fmt.Fprintf(s.Err, "certform: warning: %v\ncertform: hint: %s\n", access, access.Grant())
			}
		}
		return
	}
	missing, err := w.missingAccess(ctx, p, false)
	if err != nil {
		fmt.Fprintf(s.Err, "certform: warning: could not check the permissions applying this plan takes: %v\n", err)
		return
	}
	if missing != nil {
		fmt.Fprintf(s.Err, "certform: warning: %v\ncertform: hint: %s\n", missing, missing.Grant())
	}
}

// refreshHint says what to do about an error reading the cluster: a
// permission error needs a rule, anything else is likely reachability.
func refreshHint(err error) error {
	if rule, ok := kube.RuleForForbidden(err); ok {
		where := "a ClusterRole"
		if rule.Namespace != "" {
			where = "a Role in namespace " + rule.Namespace
		}
		return withHint(err, fmt.Sprintf("grant the user the RBAC rule %s (in %s), or pass --refresh=false to plan from state alone", rule.Flow(), where))
	}
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		return withHint(err, "check the user's credentials and permissions (kubectl auth can-i --list), or pass --refresh=false to plan from state alone")
	}
	var missing *kube.AccessError
	if errors.As(err, &missing) {
		return withHint(err, missing.Grant())
	}
	if errors.Is(err, kube.ErrTrustBundlesNotServed) {
		return withHint(err, "give the ca_bundle a file, pem, configmap or secret source instead, or have an administrator enable the ClusterTrustBundle API")
	}
	return withHint(err, "check that the cluster is reachable, or pass --refresh=false to plan from state alone")
}

// checkRestartAccess refuses, at plan time, a configuration whose
// on_change.restart names a workload the user may not patch: the restart
// could never run, and every renewal would leave a stale certificate in the
// workload's pods. One access review per workload.
func (w *workspace) checkRestartAccess(ctx context.Context, targets []string) error {
	var needs []kube.Access
	for _, c := range w.cfg.Certificates {
		if !plan.Targeted(c.Addr, targets) {
			continue
		}
		for _, rs := range c.OnChange.Restarts {
			needs = append(needs, apply.RestartAccess(rs))
		}
	}
	if len(needs) == 0 {
		return nil
	}
	cs, err := w.clientset()
	if err != nil {
		return err
	}
	missing, err := kube.CheckAccess(ctx, cs.AuthorizationV1().SelfSubjectAccessReviews(), needs)
	if err != nil {
		return fmt.Errorf("checking that on_change.restart can patch its workloads: %w", err)
	}
	if len(missing) > 0 {
		e := &kube.AccessError{Missing: missing, For: "to restart the workloads on_change.restart names"}
		return withHint(e, "grant them, or remove the restart blocks; "+e.Grant())
	}
	return nil
}
