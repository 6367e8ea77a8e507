package apply

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/kube"
)

// certform writes a Secret or ConfigMap only where nothing is, where this
// state's object is, or where the block adopts what is there (adopt =
// true); it deletes only what it created. The planner refuses a plan that
// would do otherwise (plan/conflicts.go); these checks, right before each
// write and delete, hold against an object that appeared since the plan.

// claim is what apply learned about an object right before writing it.
type claim struct {
	exists  bool
	uid     types.UID // the object written must still be this one
	adopted bool      // certform adopted it: keep the mark
	// data is a Secret's data as found, so that keystores that still hold
	// what would be written keep their bytes (deliver.go).
	data map[string][]byte
}

// claimObject checks that certform may write kind ns/name. secretType is
// the type a Secret there must have.
func (r *runner) claimObject(ctx context.Context, kind, ns, name string, adopt bool, secretType string) (claim, error) {
	var meta metav1.Object
	var typ string
	var data map[string][]byte
	var err error
	if kind == config.TargetSecret {
		s, gerr := r.opts.Core.Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		if err = gerr; err == nil {
			meta, typ, data = s, string(s.Type), s.Data
		}
	} else {
		cm, gerr := r.opts.Core.ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if err = gerr; err == nil {
			meta = cm
		}
	}
	if apierrors.IsNotFound(err) {
		return claim{}, nil
	}
	if err != nil {
		return claim{}, fmt.Errorf("reading %s %s/%s: %w", kind, ns, name, err)
	}
	owner := kube.OwnerOf(meta, r.lineage)
	switch {
	case owner.Lineage != "" && !owner.Ours:
		return claim{}, fmt.Errorf("%s %s/%s belongs to another certform state (lineage %s); left as it is", kind, ns, name, owner.Lineage)
	case !owner.Ours && !adopt:
		return claim{}, fmt.Errorf("%s %s/%s exists and certform did not create it; left as it is (set adopt = true in the block to hand it to certform)", kind, ns, name)
	case kind == config.TargetSecret && typ != secretType && !(secretType == "Opaque" && typ == ""):
		return claim{}, fmt.Errorf("Secret %s/%s has type %s, not %s, and a Secret's type cannot change; left as it is", ns, name, typ, secretType)
	}
	return claim{exists: true, uid: meta.GetUID(), adopted: owner.Adopted || !owner.Ours, data: data}, nil
}

// annotate adds the adopted mark to annotations when cl calls for it.
func (cl claim) annotate(annotations map[string]string) map[string]string {
	if cl.adopted {
		annotations[kube.AnnotationAdopted] = "true"
	}
	return annotations
}

// release hands an adopted object back instead of deleting it: certform's
// labels and annotations go, the data stays. uid guards against an object
// recreated meanwhile.
func (r *runner) release(ctx context.Context, kind string, meta metav1.Object) error {
	if err := r.unlabel(ctx, kind, meta); err != nil {
		return err
	}
	r.report(Event{Addr: meta.GetAnnotations()[kube.AnnotationAddr], Phase: PhaseWarning,
		Message: fmt.Sprintf("%s %s/%s left in place: certform adopted it and did not create it, so it only removed its labels", kind, meta.GetNamespace(), meta.GetName())})
	return nil
}

// unlabel removes certform's labels and annotations from an object, so
// that it is no longer certform's; uid guards against an object recreated
// meanwhile.
func (r *runner) unlabel(ctx context.Context, kind string, meta metav1.Object) error {
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid":         meta.GetUID(),
		"labels":      map[string]any{kube.LabelManagedBy: nil, kube.LabelLineage: nil},
		"annotations": map[string]any{kube.AnnotationAddr: nil, kube.AnnotationKey: nil, kube.AnnotationAdopted: nil},
	}})
	ns, name := meta.GetNamespace(), meta.GetName()
	var err error
	opts := metav1.PatchOptions{FieldManager: FieldManager}
	if kind == config.TargetSecret {
		_, err = r.opts.Core.Secrets(ns).Patch(ctx, name, types.MergePatchType, patch, opts)
	} else {
		_, err = r.opts.Core.ConfigMaps(ns).Patch(ctx, name, types.MergePatchType, patch, opts)
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("removing certform's labels from %s %s/%s: %w", kind, ns, name, err)
	}
	return nil
}
