package plan

import "github.com/certform/certform/refresh/observed"

// The planner reads what refresh observed; these names are refresh's
// types, kept here so that plans and their tests read as before.
type (
	// World is what refresh observed outside state.
	World = observed.World
	// TLSContent is what a TLS Secret holds, as fingerprints.
	TLSContent = observed.TLSContent
	// ExistingObject is an object certform did not create, where the
	// configuration wants one.
	ExistingObject = observed.ExistingObject
	// FileObservation is one file as found on disk.
	FileObservation = observed.FileObservation
	// CSRPhase is a CSR object's progress.
	CSRPhase = observed.CSRPhase
	// CSRObservation is one CSR object.
	CSRObservation = observed.CSRObservation
	// ResolvedBundle is a bundle's desired content and target namespaces.
	ResolvedBundle = observed.ResolvedBundle
	// ResolvedTarget is one target block with its namespaces resolved.
	ResolvedTarget = observed.ResolvedTarget
	// Published is a ConfigMap or Secret certform published.
	Published = observed.Published
	// ObjectMeta is an object's labels and annotations.
	ObjectMeta = observed.ObjectMeta
)

// CSR phases.
const (
	CSRPending  = observed.CSRPending
	CSRApproved = observed.CSRApproved
	CSRIssued   = observed.CSRIssued
	CSRDenied   = observed.CSRDenied
	CSRFailed   = observed.CSRFailed
)

// PublishedKey is how World.Published is keyed: "kind:namespace/name".
func PublishedKey(kind, namespace, name string) string {
	return observed.PublishedKey(kind, namespace, name)
}
