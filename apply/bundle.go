package apply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/certform/certform/config"
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
			r.report(Event{Addr: ch.Addr, Phase: bundlePhase[t.Action], Message: kindNames[t.Kind] + " " + t.Namespace + "/" + t.Name})
			r.recordBundle(ch, t)
		}
	}
	return errs
}

// kindNames are the kinds of bundle targets as people write them.
var kindNames = map[string]string{config.TargetConfigMap: "ConfigMap", config.TargetSecret: "Secret"}

var bundlePhase = map[plan.Action]Phase{plan.Create: PhasePublished, plan.Update: PhasePublished, plan.Delete: PhaseDeleted}

func (r *runner) publish(ctx context.Context, addr string, t *plan.TargetChange) error {
	cl, err := r.claimObject(ctx, t.Kind, t.Namespace, t.Name, t.Adopt, "Opaque")
	if err != nil {
		return err
	}
	labels := map[string]string{kube.LabelManagedBy: kube.ManagedByValue, kube.LabelLineage: r.lineage}
	annotations := cl.annotate(map[string]string{kube.AnnotationAddr: addr, kube.AnnotationKey: t.Key})
	// Forced only over an object already ours or adopted (ownership.go).
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: cl.exists}
	if t.Kind == config.TargetSecret {
		sec := corev1ac.Secret(t.Name, t.Namespace).WithLabels(labels).WithAnnotations(annotations).WithData(map[string][]byte{t.Key: t.PEM})
		if cl.exists {
			sec.WithUID(cl.uid)
		}
		_, err = r.opts.Core.Secrets(t.Namespace).Apply(ctx, sec, opts)
	} else {
		cm := corev1ac.ConfigMap(t.Name, t.Namespace).WithLabels(labels).WithAnnotations(annotations).WithData(map[string]string{t.Key: string(t.PEM)})
		if cl.exists {
			cm.WithUID(cl.uid)
		}
		_, err = r.opts.Core.ConfigMaps(t.Namespace).Apply(ctx, cm, opts)
	}
	if err != nil {
		return fmt.Errorf("publishing %s %s/%s: %w", t.Kind, t.Namespace, t.Name, err)
	}
	return nil
}

// unpublish deletes a target, only while it still carries this state's
// lineage label.
func (r *runner) unpublish(ctx context.Context, t *plan.TargetChange) error {
	var meta metav1.Object
	var err error
	var del func(string, metav1.DeleteOptions) error
	if t.Kind == config.TargetSecret {
		secrets := r.opts.Core.Secrets(t.Namespace)
		meta, err = secrets.Get(ctx, t.Name, metav1.GetOptions{})
		del = func(n string, o metav1.DeleteOptions) error { return secrets.Delete(ctx, n, o) }
	} else {
		cms := r.opts.Core.ConfigMaps(t.Namespace)
		meta, err = cms.Get(ctx, t.Name, metav1.GetOptions{})
		del = func(n string, o metav1.DeleteOptions) error { return cms.Delete(ctx, n, o) }
	}
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s %s/%s: %w", t.Kind, t.Namespace, t.Name, err)
	}
	if meta.GetLabels()[kube.LabelLineage] != r.lineage {
		return fmt.Errorf("%s %s/%s is not certform's any more; left in place", t.Kind, t.Namespace, t.Name)
	}
	if kube.OwnerOf(meta, r.lineage).Adopted {
		return r.release(ctx, t.Kind, meta)
	}
	uid, rv := meta.GetUID(), meta.GetResourceVersion()
	if err := del(t.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %s %s/%s: %w", t.Kind, t.Namespace, t.Name, err)
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
		key := plan.PublishedKey(t.Kind, t.Namespace, t.Name)
		if t.Action == plan.Delete {
			delete(b.Targets, key)
			continue
		}
		b.Targets[key] = state.BundleTarget{Kind: t.Kind, Namespace: t.Namespace, Name: t.Name, Key: t.Key, Fingerprints: t.Fingerprints}
	}
	if len(b.Targets) == 0 {
		delete(r.state.Bundles, ch.Addr)
	}
}
