package refresh

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/refresh/observed"
)

// existing looks, at every name the configuration wants a Secret or
// ConfigMap at and that this state's labelled lists did not return, for an
// object someone else made there: the planner must not let apply overwrite
// it. One GET per such name; names certform already owns cost nothing.
func existing(ctx context.Context, cs kubernetes.Interface, cfg *config.Config, w *observed.World, lineage string) error {
	type ref struct{ kind, ns, name string }
	var want []ref
	for _, c := range cfg.Certificates {
		if c.Secret != nil {
			want = append(want, ref{config.TargetSecret, c.Secret.Namespace, c.Secret.Name})
		}
	}
	for _, b := range cfg.CABundles {
		for _, t := range w.Bundles[b.Addr].Targets {
			for _, ns := range t.Namespaces {
				want = append(want, ref{t.Kind, ns, t.Name})
			}
		}
	}
	for _, r := range want {
		key := observed.PublishedKey(r.kind, r.ns, r.name)
		if _, done := w.Existing[key]; done || ours(w, r.kind, r.ns, r.name) {
			continue
		}
		var meta metav1.Object
		obj := observed.ExistingObject{Kind: r.kind, Namespace: r.ns, Name: r.name}
		var err error
		if r.kind == config.TargetSecret {
			s, gerr := cs.CoreV1().Secrets(r.ns).Get(ctx, r.name, metav1.GetOptions{})
			if err = gerr; err == nil {
				meta, obj.Type = s, string(s.Type)
			}
		} else {
			cm, gerr := cs.CoreV1().ConfigMaps(r.ns).Get(ctx, r.name, metav1.GetOptions{})
			if err = gerr; err == nil {
				meta = cm
			}
		}
		// Forbidden: this identity cannot tell; apply checks the owner
		// again before it writes, and the permission check names the rule.
		if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading %s %s/%s: %w", r.kind, r.ns, r.name, err)
		}
		owner := kube.OwnerOf(meta, lineage)
		if owner.Ours {
			continue // ours, though not listed: a list raced a write
		}
		obj.Lineage = owner.Lineage
		if w.Existing == nil {
			w.Existing = map[string]observed.ExistingObject{}
		}
		w.Existing[key] = obj
	}
	return nil
}

// ours reports whether this state's labelled lists returned the object.
func ours(w *observed.World, kind, ns, name string) bool {
	if _, ok := w.Published[observed.PublishedKey(kind, ns, name)]; ok {
		return true
	}
	_, ok := w.Secrets[ns+"/"+name]
	return ok && kind == config.TargetSecret
}
