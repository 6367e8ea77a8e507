package apply

import (
	"strings"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/plan"
)

// Permissions lists what executing p takes from the cluster: one access
// per verb and resource (per namespace, per signer), each saying why, so
// that a run can check them all before it submits anything. noWait is
// apply's option of that name (no watch is needed then).
func Permissions(p *plan.Plan, cfg *config.Config, noWait bool) []kube.Access {
	certs := map[string]*config.Certificate{}
	for _, c := range cfg.Certificates {
		certs[c.Addr] = c
	}
	var needs []kube.Access
	add := func(a ...kube.Access) { needs = append(needs, a...) }
	for _, ch := range p.Changes {
		c, rec := certs[ch.Addr], ch.Before
		switch ch.Action {
		case plan.Create, plan.Renew, plan.Replace, plan.Wait:
			if ch.Action != plan.Wait {
				add(kube.CSRAccess("create", "submit CSRs"))
			}
			add(kube.CSRAccess("get", "read the CSRs it submits"), kube.CSRAccess("list", "find the CSRs of earlier runs"))
			if !noWait {
				add(kube.CSRAccess("watch", "wait for CSRs to be signed"))
			}
			if c != nil && c.SelfApprove {
				add(kube.ApproveAccess(c.SignerName)...)
			}
		case plan.Update:
			if ch.RewriteCert || c != nil && c.Output.CSRFile != "" {
				add(kube.CSRAccess("get", "read issued certificates back"))
			}
		case plan.Delete:
			if rec != nil && rec.CSRName != "" {
				add(kube.CSRAccess("delete", "delete the CSRs of removed certificates"))
			}
		case plan.Import:
			if src := ch.Import; src != nil && src.SecretName != "" {
				add(objectAccess(config.TargetSecret, src.SecretNamespace, "read Secrets to import", "get")...)
			}
		}
		if ch.PrevAddr != "" && rec != nil && rec.Secret != nil {
			add(objectAccess(config.TargetSecret, rec.Secret.Namespace, "annotate moved certificates' Secrets with their new address", "get", "patch")...)
		}
		if ch.Action == plan.Forget {
			continue // nothing in the cluster changes
		}
		add(deliveryAccess(c, ch)...)
		if c != nil && c.Secret != nil && ch.Action != plan.Delete {
			add(objectAccess(config.TargetSecret, c.Secret.Namespace, "write kubernetes.io/tls Secrets", "create", "patch")...)
		}
		if rec != nil && rec.Secret != nil && (c == nil || c.Secret == nil || c.Secret.Namespace != rec.Secret.Namespace || c.Secret.Name != rec.Secret.Name || c.Secret.Adopt) {
			add(objectAccess(config.TargetSecret, rec.Secret.Namespace, "remove Secrets certform wrote", "get", "delete")...)
		}
	}
	for _, b := range p.Bundles {
		for _, t := range b.Targets {
			switch t.Action {
			case plan.Create, plan.Update:
				add(objectAccess(t.Kind, t.Namespace, "publish CA bundles", "create", "patch")...)
			case plan.Delete:
				add(objectAccess(t.Kind, t.Namespace, "remove CA bundles certform published", "get", "delete")...)
			}
		}
	}
	return needs
}

// deliveryAccess is what c's keystore password and after-change actions
// take, for a change that writes outputs.
func deliveryAccess(c *config.Certificate, ch *plan.Change) []kube.Access {
	if c == nil || ch.Action == plan.NoOp || ch.Action == plan.Delete || ch.Action == plan.Forget {
		return nil
	}
	var out []kube.Access
	if k := c.Keystore; k != nil && k.PasswordSecret != nil {
		out = append(out, kube.Access{Verb: "get", Resource: "secrets", Namespace: k.PasswordSecret.Namespace,
			Name: k.PasswordSecret.Name, Why: "read keystore passwords"})
	}
	for _, a := range ch.AfterChange {
		for _, rs := range c.OnChange.Restarts {
			if rs.ID() == a.ID {
				out = append(out, RestartAccess(rs))
			}
		}
	}
	return out
}

// RestartAccess is what restarting rs takes: patching it, as kubectl
// rollout restart does.
func RestartAccess(rs config.Restart) kube.Access {
	return kube.Access{Verb: "patch", Group: "apps", Resource: strings.ToLower(rs.Kind) + "s", Namespace: rs.Namespace, Name: rs.Name,
		Why: "restart workloads after their certificate changed (on_change.restart)"}
}

// objectAccess is verbs on Secrets or ConfigMaps (kind) in namespace.
func objectAccess(kind, namespace, why string, verbs ...string) []kube.Access {
	resource := "configmaps"
	if kind == config.TargetSecret {
		resource = "secrets"
	}
	out := make([]kube.Access, len(verbs))
	for i, v := range verbs {
		out[i] = kube.Access{Verb: v, Resource: resource, Namespace: namespace, Why: why}
	}
	return out
}
