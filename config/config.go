package config

import (
	"io/fs"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/workdir"
)

// Config is one evaluated configuration directory.
type Config struct {
	// Dir is the directory the configuration's relative paths are taken
	// from when a file is touched (Inputs.Dir): apply and refresh place
	// output paths with Dir.Path and keep showing and recording them as
	// written. Empty: the process's working directory.
	Dir workdir.Dir
	// Kubernetes says how to reach the default cluster (the unnamed
	// kubernetes block); nil means the defaults ($KUBECONFIG,
	// ~/.kube/config, else in-cluster).
	Kubernetes *Kubernetes
	// Clusters are the named kubernetes "NAME" blocks, by name: the other
	// clusters of a fleet (clusters.go).
	Clusters map[string]*Kubernetes
	// Backend says where state lives; nil means the local default.
	Backend *Backend
	// Variables by name, as declared.
	Variables map[string]*Variable
	// Values are the variables' values as evaluated, by name, for a saved
	// plan to carry. Sensitive ones are among them: never print them.
	Values map[string]cty.Value
	// Workspace is the workspace the configuration was evaluated for.
	Workspace string
	// Certificates are sorted by address.
	Certificates []*Certificate
	// CABundles are sorted by address.
	CABundles []*CABundle
	// Moved, Removed and Imports are the refactoring blocks, in the order
	// written (refactor.go).
	Moved   []*Moved
	Removed []*Removed
	Imports []*Import
	// OutputValues are the root module's output blocks, sorted by name.
	// Certificates and CABundles hold those of every module too.
	OutputValues []*OutputValue
}

// Kubernetes is a kubernetes block: how to reach one cluster.
type Kubernetes struct {
	// Name is the block's label, DefaultCluster for the unnamed block.
	Name       string
	Kubeconfig string
	Context    string
	// InCluster uses the service account of the Pod certform runs in,
	// ignoring kubeconfig files.
	InCluster bool
	DeclRange hcl.Range
}

// Backend is the backend block.
type Backend struct {
	Type string // "local" or "kubernetes"
	Path string // local: the state file, relative to the config directory
	// kubernetes: the Secret holding state (and Lease NAME-lock) in Namespace.
	Namespace string
	Name      string
	LockTTL   time.Duration // kubernetes: how long a lock outlives its last renewal
	DeclRange hcl.Range
}

// Key rotation policies.
const (
	RotateAlways = "always"
	RotateNever  = "never"
)

// Certificate is one certificate instance: a certificate block, or one
// for_each element of it.
type Certificate struct {
	// Addr is the instance's address: certificate.NAME or certificate.NAME["KEY"],
	// after module.NAME. or module.NAME["KEY"]. for each module it is in.
	Addr string
	// Name is the block label.
	Name string

	Request           pki.Request
	Key               KeySpec
	SignerName        string
	Usages            []string
	ExpirationSeconds int32 // 0: the signer's default
	SelfApprove       bool
	// RenewBefore renews when this much lifetime remains; 0 means use
	// RenewBeforePercentage, and when that is 0 too, a third of the lifetime.
	RenewBefore           time.Duration
	RenewBeforePercentage int
	// RenewJitter, a percentage of the lifetime (0 to 50), moves the
	// renewal point earlier by a share of it chosen from the address and
	// the certificate's serial: a fleet issued at once renews spread out,
	// and every plan of the same state agrees when (plan.RenewalTime).
	RenewJitter int
	// Cluster is the name of the cluster the certificate is issued in and
	// its Secret written to: DefaultCluster unless cluster = kubernetes.NAME.
	Cluster string
	CSRName string // "": derived from the address and key fingerprint
	// Output is the output block; its zero value (no KeyFile) means there
	// is none and the Secret is the only output (see HasFiles).
	Output Output
	Secret *SecretOutput // nil: no Secret
	// Keystore says where keystore passwords come from; nil when no
	// keystore is written.
	Keystore *Keystore
	// OnChange lists what runs after the certificate's content changed.
	OnChange OnChange

	// DeclRange is where the block is defined, for diagnostics about it.
	DeclRange hcl.Range
	// AttrRanges holds the range of each attribute that was set, by its
	// HCL name ("common_name", "key.size", "output.key_file"), so that later
	// checks can point at the attribute responsible. Every instance of a
	// block shares one map: read it, never write it.
	AttrRanges map[string]hcl.Range
	// Sensitive names the attributes (as AttrRanges does) whose values
	// come from a sensitive variable: plans never show them. Shared like
	// AttrRanges.
	Sensitive map[string]bool
}

// KeySpec is the key block.
type KeySpec struct {
	pki.KeySpec
	Rotation string // RotateAlways or RotateNever
}

// Output is the output block: where files go, relative to the config
// directory (also in modules). Not to be confused with OutputValue.
type Output struct {
	KeyFile  string
	CertFile string
	// CAFile, when set, receives CABundle's certificates, or without
	// CABundle the chain the signer returned after the leaf.
	CAFile    string
	CABundle  string // the address of a ca_bundle, e.g. "ca_bundle.service-ca"
	CSRFile   string // the PEM request, when set
	ChainFile string // the certificate followed by its chain, when set
	// FileMode is the mode of the certificate, CA, CSR and chain files
	// (default 0644); KeyFileMode the key's (default 0600, and never
	// readable by group or others unless AllowWorldReadableKey).
	FileMode              fs.FileMode
	KeyFileMode           fs.FileMode
	AllowWorldReadableKey bool
	// Extra are the files in other formats (keystores, combined PEM,
	// DER), in the order plans list them. Those that hold the key get
	// KeyFileMode.
	Extra []ExtraFile
}

// HasFiles reports whether c has an output block: files on this machine.
func (c *Certificate) HasFiles() bool { return c.Output.KeyFile != "" }

// SecretOutput is the secret block: a kubernetes.io/tls Secret to write.
type SecretOutput struct {
	Namespace string
	Name      string
	// Adopt lets certform take over a kubernetes.io/tls Secret of this name
	// that it did not create. An adopted object is never deleted: when the
	// block goes, certform only removes its labels from it.
	Adopt bool
	// Formats are the extra formats written as further data keys
	// (formats.Names), sorted.
	Formats []string
	// Labels and Annotations are set on the Secret besides certform's
	// own (cert-manager's secretTemplate); drift on them is repaired.
	Labels, Annotations map[string]string
}

// Range returns the range of the named attribute, or the block's when the
// attribute was not set.
func (c *Certificate) Range(attr string) hcl.Range {
	if r, ok := c.AttrRanges[attr]; ok {
		return r
	}
	return c.DeclRange
}
