package apply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// FieldManager is certform's server-side apply field manager.
const FieldManager = "certform"

// bundles publishes, updates and removes CA bundle ConfigMaps. It runs
// after the certificates, so that a new CA that certificates were just
// reissued under is published with them. Server-side apply makes a re-run
// after an interruption converge; removal deletes only ConfigMaps that
// carry this state's labels.
func (r *runner) bundles(ctx context.Context, changes []*plan.BundleChange) []error {
	var errs []error
	for _, ch := range changes {
		if ch.Action == plan.NoOp {
			r.recordBundle(ch, nil)
			continue
		}
		for _, t := range ch.Targets {
			var err error
			switch t.Action {
			case plan.Create, plan.Update:
				err = r.publish(ctx, ch.Addr, t)
			case plan.Delete:
				err = r.unpublish(ctx, t)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", ch.Addr, err))
				continue
			}
			r.report(Event{Addr: ch.Addr, Phase: bundlePhase[t.Action], Message: t.Namespace + "/" + t.Name})
			r.recordBundle(ch, t)
		}
	}
	return errs
}

var bundlePhase = map[plan.Action]Phase{plan.Create: PhasePublished, plan.Update: PhasePublished, plan.Delete: PhaseDeleted}

func (r *runner) publish(ctx context.Context, addr string, t *plan.TargetChange) error {
	cm := corev1ac.ConfigMap(t.Name, t.Namespace).
		WithLabels(map[string]string{kube.LabelManagedBy: kube.ManagedByValue, kube.LabelLineage: r.lineage}).
		WithAnnotations(map[string]string{kube.AnnotationAddr: addr, kube.AnnotationKey: t.Key}).
		WithData(map[string]string{t.Key: string(t.PEM)})
	_, err := r.opts.Core.ConfigMaps(t.Namespace).Apply(ctx, cm, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return fmt.Errorf("publishing ConfigMap %s/%s: %w", t.Namespace, t.Name, err)
	}
	return nil
}

func (r *runner) unpublish(ctx context.Context, t *plan.TargetChange) error {
	cms := r.opts.Core.ConfigMaps(t.Namespace)
	cm, err := cms.Get(ctx, t.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading ConfigMap %s/%s: %w", t.Namespace, t.Name, err)
	}
	if cm.Labels[kube.LabelLineage] != r.lineage {
		return fmt.Errorf("ConfigMap %s/%s is not certform's any more; left in place", t.Namespace, t.Name)
	}
	pre := metav1.Preconditions{UID: &cm.UID, ResourceVersion: &cm.ResourceVersion}
	if err := cms.Delete(ctx, t.Name, metav1.DeleteOptions{Preconditions: &pre}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting ConfigMap %s/%s: %w", t.Namespace, t.Name, err)
	}
	return nil
}

// recordBundle keeps state's record of a bundle in step: a target that was
// published or left as it was is recorded, a deleted one dropped.
func (r *runner) recordBundle(ch *plan.BundleChange, done *plan.TargetChange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state.Bundles == nil {
		r.state.Bundles = map[string]*state.Bundle{}
	}
	b := r.state.Bundles[ch.Addr]
	if b == nil {
		b = &state.Bundle{Addr: ch.Addr, Targets: map[string]state.BundleTarget{}}
		r.state.Bundles[ch.Addr] = b
	}
	targets := ch.Targets
	if done != nil {
		targets = []*plan.TargetChange{done}
	}
	for _, t := range targets {
		key := t.Namespace + "/" + t.Name
		if t.Action == plan.Delete {
			delete(b.Targets, key)
			continue
		}
		b.Targets[key] = state.BundleTarget{Namespace: t.Namespace, Name: t.Name, Key: t.Key, Fingerprints: t.Fingerprints}
	}
	if len(b.Targets) == 0 {
		delete(r.state.Bundles, ch.Addr)
	}
}
