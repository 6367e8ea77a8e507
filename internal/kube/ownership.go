package kube

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// AnnotationAdopted marks a ConfigMap or Secret that certform took over
// (adopt = true) rather than created. certform never deletes such an
// object; when it no longer wants it, it removes its labels and
// annotations and leaves the object to whoever made it.
const AnnotationAdopted = "certform.dev/adopted"

// Owner says whose an object is: this state's (lineage), another certform
// state's, or nobody's certform knows.
type Owner struct {
	Ours    bool   // labelled with this state's lineage
	Adopted bool   // ours, but adopted rather than created
	Lineage string // the certform lineage it is labelled with, if any
}

// OwnerOf reads the owner of meta for the state of lineage.
func OwnerOf(meta metav1.Object, lineage string) Owner {
	l := meta.GetLabels()
	o := Owner{Lineage: l[LabelLineage]}
	if l[LabelManagedBy] != ManagedByValue {
		o.Lineage = ""
	}
	o.Ours = o.Lineage != "" && o.Lineage == lineage
	o.Adopted = o.Ours && meta.GetAnnotations()[AnnotationAdopted] == "true"
	return o
}
