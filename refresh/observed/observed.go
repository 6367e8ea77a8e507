package observed

import (
	"crypto/x509"
	"sync/atomic"

	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/state"
)

// World is what was observed outside state before planning: output files,
// pending keys and the cluster's CSR objects. It is gathered in bulk by Refresh;
// the planner only reads it.
type World struct {
	// Refreshed is false when the caller skipped observation; the planner
	// then trusts state alone.
	Refreshed bool
	// Files by path, for every output path of the configuration and state.
	Files map[string]FileObservation
	// PendingKeys holds the fingerprints of keys kept for CSRs in flight.
	PendingKeys map[string]bool
	// CSRs by name: certform's CSR objects in the cluster. The planner
	// reads them through CSR, which knows when their List was deferred.
	CSRs map[string]CSRObservation
	// csrsDeferred and csrsWanted: see DeferCSRs.
	csrsDeferred bool
	csrsWanted   *atomic.Bool

	// Bundles by address: each ca_bundle's resolved content and targets.
	Bundles map[string]ResolvedBundle
	// Published by "namespace/name": the ConfigMaps certform published.
	Published map[string]Published
	// KnownCAs by fingerprint: every CA seen in sources or published
	// bundles, to describe removed ones.
	KnownCAs map[string]*x509.Certificate
	// Secrets by "namespace/name": the SHA-256 of each Secret certform
	// wrote, as found (tls.crt, tls.key, ca.crt).
	Secrets map[string]string
	// TLS by "namespace/name": what each certificate's TLS Secret holds,
	// as fingerprints only, so the planner can tell whether the Secret can
	// restore a runner's missing or altered files.
	TLS map[string]TLSContent
	// AdoptedSecrets by "namespace/name": the TLS Secrets among Secrets
	// that certform adopted rather than created; deleting the address only
	// releases them (removes certform's labels).
	AdoptedSecrets map[string]bool
	// Here is the machine and directory this run works in, to tell a key
	// lost here from one that was written elsewhere.
	Here state.Origin
	// Existing by PublishedKey: objects found at names the configuration
	// wants a Secret or ConfigMap at that this state did not create (or
	// adopt): someone else's, or another certform state's.
	Existing map[string]ExistingObject
	// Unopened holds the keystores certform wrote that do not open with
	// the configured password (a password changed since): by file path,
	// and by UnopenedKey for a Secret's data keys.
	Unopened map[string]bool
	// SecretMeta by "namespace/name": the labels and annotations of each
	// certificate's Secret, to see drift from secret.labels and
	// secret.annotations.
	SecretMeta map[string]ObjectMeta
	// Issuers by certificate address: the fingerprints of the known CAs
	// each managed certificate chains to (for the trust-removal guard).
	Issuers map[string][]string
}

// TLSContent is what a kubernetes.io/tls Secret holds, as fingerprints:
// never the key itself.
type TLSContent = digest.TLS

// ObjectMeta is an object's labels and annotations, as found.
type ObjectMeta struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// UnopenedKey is World.Unopened's key for a keystore in a Secret.
func UnopenedKey(namespace, name, dataKey string) string {
	return "secret:" + namespace + "/" + name + "/" + dataKey
}

// ExistingObject is a Secret or ConfigMap certform did not create, found
// where the configuration wants to write one.
type ExistingObject struct {
	Kind, Namespace, Name string
	Type                  string // a Secret's type ("" for a ConfigMap)
	Lineage               string // another certform state's lineage, if it carries one
}

// FileObservation is one file as found on disk.
type FileObservation = digest.File

// CSRPhase is a CSR object's progress.
type CSRPhase string

// CSR phases.
const (
	CSRPending  CSRPhase = "pending"  // neither approved nor denied
	CSRApproved CSRPhase = "approved" // approved, not yet signed
	CSRIssued   CSRPhase = "issued"   // status.certificate is set
	CSRDenied   CSRPhase = "denied"
	CSRFailed   CSRPhase = "failed"
)

// CSRObservation is one CSR object.
type CSRObservation struct {
	Name    string
	UID     string
	Phase   CSRPhase
	Message string // the deciding condition's reason and message
	// CertSHA256 is the SHA-256 of status.certificate, when issued.
	CertSHA256 string
	// KeySHA256 is the fingerprint of the public key the request was
	// signed with (as state records keys); empty if it does not parse.
	// A refresh learns it only for the CSRs of records being submitted,
	// the only ones whose key the planner compares.
	KeySHA256 string
}

// ResolvedBundle is a bundle's desired content and target namespaces, as
// observation resolved them (sources and namespace selectors read from the
// cluster).
type ResolvedBundle struct {
	CAs     []*x509.Certificate // merged, de-duplicated, sorted by fingerprint
	Targets []ResolvedTarget
}

// ResolvedTarget is one target block with its namespaces resolved.
type ResolvedTarget struct {
	Kind, Name, Key string
	Namespaces      []string
	Adopt           bool
}

// Published is a ConfigMap or Secret certform published for this state.
type Published struct {
	Kind, Addr, Namespace, Name, Key string
	Fingerprints                     []string
}

// PublishedKey is how World.Published is keyed: "kind:namespace/name".
func PublishedKey(kind, namespace, name string) string {
	return kind + ":" + namespace + "/" + name
}
