package state

import (
	"encoding/json"
	"io/fs"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Certificate statuses.
const (
	// StatusPending: a CSR was submitted and no certificate has been written.
	StatusPending = "pending"
	// StatusIssued: the certificate and key were verified and written.
	StatusIssued = "issued"
	// StatusTainted: the certificate must be reissued (e.g. --replace).
	StatusTainted = "tainted"
	// StatusSubmitting: a CSR named CSRName, for the key KeySHA256, may
	// have been created: the record is made durable before the create is
	// sent, and replaced once its outcome is known. CSRUID is empty. The
	// next run adopts that CSR (and only that one, for only that key) or
	// cleans it up; until then the key is kept.
	StatusSubmitting = "submitting"
)

// State is everything certform recorded about one configuration.
type State struct {
	// Lineage identifies this state's history; set once by New.
	Lineage string
	// Serial counts persisted changes; backends raise it, never callers.
	Serial uint64
	// Certificates by address.
	Certificates map[string]*Certificate
	// Bundles by address (ca_bundle.NAME): what was published where.
	Bundles map[string]*Bundle
	// Outputs are the root module's output values as of the last apply,
	// by name: what certform output reads. nil or empty: none.
	Outputs map[string]Output
}

// Output is one recorded output value, as JSON with its cty type (the
// encoding of go-cty's json package), so it reads back with its type.
// It never holds private key material: config refuses such a value.
type Output struct {
	Value     json.RawMessage
	Type      json.RawMessage
	Sensitive bool
}

// Bundle is the record of one ca_bundle address: the ConfigMaps certform
// published it to, each with the CAs it holds.
type Bundle struct {
	Addr string
	// Cluster is where the bundle is published.
	Cluster Cluster
	// Targets by "kind:namespace/name".
	Targets map[string]BundleTarget
}

// BundleTarget is one published ConfigMap or Secret.
type BundleTarget struct {
	Kind         string // "configmap" or "secret"
	Namespace    string
	Name         string
	Key          string
	Fingerprints []string // SHA-256 of each CA certificate, sorted
}

// Certificate is the record of one certificate address.
type Certificate struct {
	Addr    string
	Request Request
	// KeySHA256 is the SHA-256 of the key's SubjectPublicKeyInfo, hex.
	KeySHA256    string
	CSRName      string
	CSRUID       string
	Status       string
	SerialNumber string // hex; empty until issued
	NotBefore    time.Time
	NotAfter     time.Time
	// Files written for this certificate, by path relative to the config
	// directory.
	Files map[string]File
	// Secret is the kubernetes.io/tls Secret written for it, if any. When
	// it is recorded the Secret is the key's home: files are copies that a
	// runner without them writes from it.
	Secret *SecretRecord
	// FilesOrigin is where Files were last written (zero: unknown, or no
	// files). With files only it says where the key is.
	FilesOrigin Origin
	// PendingActions are the IDs of after-change actions (config.OnChange)
	// that failed after the certificate changed: the next run retries
	// them. Sorted.
	PendingActions []string
	// Cluster is the cluster the certificate was issued in and its Secret
	// written to.
	Cluster Cluster
}

// SecretRecord is a Secret certform wrote: where, and the SHA-256 of its
// data (tls.crt, tls.key, ca.crt in that order) to notice edits.
type SecretRecord struct {
	Namespace string
	Name      string
	SHA256    string
	// Keys are the data keys written besides tls.crt, tls.key and ca.crt
	// (keystore.p12, ...), sorted; CASHA256 the SHA-256 of the CA bundle
	// its truststores were made of.
	Keys     []string
	CASHA256 string
	// Labels and Annotations are those of the secret block's template as
	// last applied, so that one removed from the configuration is seen.
	Labels, Annotations map[string]string
}

// Request is the request a certificate was issued for, as recorded, so the
// planner can tell when the configuration asks for something else.
type Request struct {
	CommonName         string
	Organization       []string
	OrganizationalUnit []string
	Country            []string
	Province           []string
	Locality           []string
	Hosts              []string
	KeyAlgorithm       string
	KeySize            int
	KeyEncoding        string
	SignerName         string
	Usages             []string
	ExpirationSeconds  int32
}

// File roles.
const (
	RoleKey   = "key"
	RoleCert  = "cert"
	RoleCA    = "ca"    // output.ca_file
	RoleCSR   = "csr"   // output.csr_file
	RoleChain = "chain" // output.chain_file
	// The roles of files in other formats are named as the output
	// attributes without _file (output.pkcs12_file: "pkcs12").
	RolePKCS12           = "pkcs12"
	RolePKCS12Truststore = "pkcs12_truststore"
	RoleJKS              = "jks"
	RoleJKSTruststore    = "jks_truststore"
	RoleCombinedPEM      = "combined_pem"
	RoleDER              = "der"
	RoleDERKey           = "der_key"
)

// Roles lists every file role, in the order plans list them.
var Roles = []string{RoleKey, RoleCert, RoleCA, RoleCSR, RoleChain, RolePKCS12, RolePKCS12Truststore, RoleJKS, RoleJKSTruststore,
	RoleCombinedPEM, RoleDER, RoleDERKey}

// File is what certform wrote to one output path.
type File struct {
	Role   string // one of Roles
	SHA256 string
	Mode   fs.FileMode
	// SourceSHA256 is, for a truststore, the SHA-256 of the CA bundle it
	// was made of: a keystore's bytes are salted, so only this tells
	// whether the bundle changed since.
	SourceSHA256 string
}

// InFlight reports whether c's CSR is submitted, or may be, and not yet
// collected: its key is kept for it until then.
func (c *Certificate) InFlight() bool {
	return c.Status == StatusPending || c.Status == StatusSubmitting
}

// FileWithRole returns the path and record of c's file with role, if any.
func (c *Certificate) FileWithRole(role string) (string, File, bool) {
	for p, f := range c.Files {
		if f.Role == role {
			return p, f, true
		}
	}
	return "", File{}, false
}

// New returns an empty state with a fresh lineage.
func New() *State {
	return &State{Lineage: uuid.NewString(), Certificates: map[string]*Certificate{}, Bundles: map[string]*Bundle{}}
}

// Addrs returns the certificate addresses, sorted.
func (s *State) Addrs() []string {
	return slices.Sorted(maps.Keys(s.Certificates))
}

// DeepCopy returns a copy that shares nothing with s.
func (s *State) DeepCopy() *State {
	out := &State{Lineage: s.Lineage, Serial: s.Serial, Certificates: make(map[string]*Certificate, len(s.Certificates)),
		Bundles: make(map[string]*Bundle, len(s.Bundles))}
	for addr, c := range s.Certificates {
		out.Certificates[addr] = c.DeepCopy()
	}
	for addr, b := range s.Bundles {
		out.Bundles[addr] = b.DeepCopy()
	}
	if s.Outputs != nil {
		out.Outputs = make(map[string]Output, len(s.Outputs))
		for name, o := range s.Outputs {
			out.Outputs[name] = Output{Value: slices.Clone(o.Value), Type: slices.Clone(o.Type), Sensitive: o.Sensitive}
		}
	}
	return out
}

// DeepCopy returns a copy that shares nothing with c.
func (c *Certificate) DeepCopy() *Certificate {
	out := *c
	out.Request = c.Request.deepCopy()
	out.Files = maps.Clone(c.Files)
	out.PendingActions = slices.Clone(c.PendingActions)
	if c.Secret != nil {
		sec := *c.Secret
		sec.Keys = slices.Clone(sec.Keys)
		sec.Labels, sec.Annotations = maps.Clone(sec.Labels), maps.Clone(sec.Annotations)
		out.Secret = &sec
	}
	return &out
}

func (r Request) deepCopy() Request {
	r.Organization = slices.Clone(r.Organization)
	r.OrganizationalUnit = slices.Clone(r.OrganizationalUnit)
	r.Country = slices.Clone(r.Country)
	r.Province = slices.Clone(r.Province)
	r.Locality = slices.Clone(r.Locality)
	r.Hosts = slices.Clone(r.Hosts)
	r.Usages = slices.Clone(r.Usages)
	return r
}

// DeepCopy returns a copy that shares nothing with b.
func (b *Bundle) DeepCopy() *Bundle {
	out := &Bundle{Addr: b.Addr, Cluster: b.Cluster, Targets: make(map[string]BundleTarget, len(b.Targets))}
	for k, t := range b.Targets {
		t.Fingerprints = slices.Clone(t.Fingerprints)
		out.Targets[k] = t
	}
	return out
}
