package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/apply"
	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/plan"
	kubebackend "github.com/certform/certform/state/backend/kubernetes"
)

// accessCheck is what applying a plan takes in one cluster, and what the
// user lacks there.
type accessCheck struct {
	cluster string
	// part is the part whose changes need these permissions; nil for the
	// state backend's alone, whose lack fails the whole run.
	part    *plan.Part
	needs   []kube.Access
	missing []kube.Access
	err     error // the check could not be made
}

// checkAccess asks, cluster by cluster and before anything is submitted,
// whether the user may do everything applying p takes: each live part's
// changes in its own cluster, and what the kubernetes state backend does
// (its Secrets and Lease) in the default cluster, where it keeps the
// state. With one part, in the default cluster, both are one check of one
// user. The backend's check comes first.
func (w *workspace) checkAccess(ctx context.Context, p *plan.Plan, noWait bool) []*accessCheck {
	f := w.fleet
	var checks []*accessCheck
	if k, ok := w.backend.(*kubebackend.Backend); ok {
		checks = append(checks, &accessCheck{cluster: config.DefaultCluster, needs: k.Permissions()})
	}
	for _, part := range f.live() {
		sub := p
		if len(f.parts) > 1 {
			sub = p.Only(part)
		}
		if !sub.HasChanges() {
			continue
		}
		needs := apply.Permissions(sub, part.Config, noWait)
		if len(f.parts) == 1 && part.Cluster == config.DefaultCluster && len(checks) == 1 {
			checks[0].part, checks[0].needs = &part, append(needs, checks[0].needs...)
			continue
		}
		checks = append(checks, &accessCheck{cluster: part.Cluster, part: &part, needs: needs})
	}
	var wg sync.WaitGroup
	for _, c := range checks {
		if len(c.needs) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := w.conn(c.cluster)
			if c.err = conn.connect(ctx, w); c.err == nil {
				c.missing, c.err = kube.CheckAccess(ctx, conn.cs.AuthorizationV1().SelfSubjectAccessReviews(), c.needs)
			}
		}()
	}
	wg.Wait()
	return checks
}

// accessFor says what a check's permissions are for, after "missing N
// permission(s)".
func (w *workspace) accessFor(c *accessCheck) string {
	switch {
	case c.part == nil:
		return "to keep the state in " + w.backend.(*kubebackend.Backend).Describe()
	case len(w.fleet.parts) == 1 && c.cluster == config.DefaultCluster:
		return "to apply this plan"
	case len(w.fleet.parts) == 1:
		return fmt.Sprintf("to apply this plan in cluster %q", c.cluster)
	}
	return fmt.Sprintf("to apply the changes in cluster %q", c.cluster)
}

// requireFleetAccess checks the permissions applying p takes, cluster by
// cluster. A cluster of a fleet that lacks some is left out of the run;
// the only cluster, or the state backend's, lacking some fails the run
// before anything is submitted anywhere (state that cannot be written
// would lose what the others did). A check that cannot be made warns and
// lets the run go on: each call still names the rule it lacks.
func (w *workspace) requireFleetAccess(ctx context.Context, p *plan.Plan, noWait bool, s Streams) error {
	for _, c := range w.checkAccess(ctx, p, noWait) {
		switch {
		case c.err != nil:
			fmt.Fprintf(s.Err, "certform: warning: could not check the permissions %s before applying: %v\n", w.accessFor(c), c.err)
		case len(c.missing) == 0:
		case c.part == nil || len(w.fleet.parts) == 1:
			e := &kube.AccessError{Missing: c.missing, For: w.accessFor(c) + "; nothing was submitted"}
			return withHint(e, "grant them, then run again; "+e.Grant())
		default:
			e := &kube.AccessError{Missing: c.missing, For: "to apply this cluster's changes; nothing was submitted to it"}
			w.fleet.fail(*c.part, withHint(e, e.Grant()))
		}
	}
	return nil
}

// warnAccess prints, after a plan, the permissions applying it would lack.
func (w *workspace) warnAccess(ctx context.Context, p *plan.Plan, s Streams) {
	for _, c := range w.checkAccess(ctx, p, false) {
		switch {
		case c.err != nil:
			fmt.Fprintf(s.Err, "certform: warning: could not check the permissions %s: %v\n", w.accessFor(c), c.err)
		case len(c.missing) > 0:
			e := &kube.AccessError{Missing: c.missing, For: w.accessFor(c)}
			fmt.Fprintf(s.Err, "certform: warning: %v\ncertform: hint: %s\n", e, e.Grant())
		}
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
// workload's pods. cfg is one cluster's share of the configuration and cs
// that cluster's client: a workload is restarted, and so its permission
// checked, in the cluster of its certificate. One access review per
// workload.
func checkRestartAccess(ctx context.Context, cs kubernetes.Interface, cfg *config.Config, targets []string) error {
	var needs []kube.Access
	for _, c := range cfg.Certificates {
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
