package views

import (
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/statefile"
)

// PlanJSONFormatVersion is the version of the plan --json document. Minor
// versions add fields; a major version changes or removes them.
const PlanJSONFormatVersion = "1.2"

// PlanJSON is the machine-readable plan (docs/plan-json.md).
type PlanJSON struct {
	FormatVersion   string       `json:"format_version"`
	CertformVersion string       `json:"certform_version"`
	Lineage         string       `json:"lineage"`
	Serial          uint64       `json:"serial"`
	Created         time.Time    `json:"created"`
	HasChanges      bool         `json:"has_changes"`
	Summary         SummaryJSON  `json:"summary"`
	Changes         []ChangeJSON `json:"changes"`
	CABundles       []BundleJSON `json:"ca_bundles"`
	// Conflicts: Secrets and ConfigMaps the plan would write although
	// certform did not create them; apply refuses a plan with any.
	Conflicts []string `json:"conflicts,omitempty"`
}

// SummaryJSON counts changes by action.
type SummaryJSON struct {
	Issue   int `json:"issue"`
	Renew   int `json:"renew"`
	Replace int `json:"replace"`
	Update  int `json:"update"`
	Delete  int `json:"delete"`
	Wait    int `json:"wait"`
	NoOp    int `json:"no_op"`
	// Import, Move and Forget count imports, moved records and records
	// forgotten (removed blocks with destroy = false); added in 1.1.
	Import int `json:"import"`
	Move   int `json:"move"`
	Forget int `json:"forget"`
}

// ChangeJSON is one address's change.
type ChangeJSON struct {
	Address string `json:"address"`
	// ModuleAddress is the module the address is in, e.g.
	// module.team["a"]; absent for the root module (1.1).
	ModuleAddress string   `json:"module_address,omitempty"`
	Action        string   `json:"action"`
	Reasons       []string `json:"reasons"`
	Forces        []string `json:"forces_replacement,omitempty"`
	// ReuseKey: the reissue keeps the current key (key.rotation = "never").
	ReuseKey bool `json:"reuse_key,omitempty"`
	// PreviousAddress: a moved block renames the record from this
	// address (1.1).
	PreviousAddress string `json:"previous_address,omitempty"`
	// Cluster is the kubernetes "NAME" block the address lives in;
	// absent for the default cluster.
	Cluster string `json:"cluster,omitempty"`
	// Import: where an import reads the key and certificate (1.1).
	Import *ImportJSON `json:"import,omitempty"`
	Before *BeforeJSON `json:"before"`
	After  *AfterJSON  `json:"after"`
	// Removes: what the change removes or leaves (1.1).
	Removes []RemovalJSON `json:"removes,omitempty"`
	// PredictedApproval: what the approver would decide on the CSR the
	// change submits, with plan --policy (1.1).
	PredictedApproval *ApprovalJSON `json:"predicted_approval,omitempty"`
	// AfterChange: the after-change actions apply runs once the change
	// succeeds (1.2).
	AfterChange []AfterActionJSON `json:"after_change,omitempty"`
}

// AfterActionJSON is one after-change action a change runs (1.2).
type AfterActionJSON struct {
	ID    string `json:"id"`
	Retry bool   `json:"retry,omitempty"`
}

// ApprovalJSON is a predicted approver verdict.
type ApprovalJSON struct {
	Verdict string `json:"verdict"` // approve, deny or skip
	Policy  string `json:"policy,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Message string `json:"message"`
}

// AfterJSON is every planned attribute of an address: the request, how it
// is issued and renewed, its files and Secret, and where its private key
// is written (never the key).
type AfterJSON struct {
	RequestJSON
	SelfApprove           bool   `json:"self_approve"`
	KeyRotation           string `json:"key_rotation,omitempty"`
	RenewBefore           string `json:"renew_before,omitempty"`
	RenewBeforePercentage int    `json:"renew_before_percentage,omitempty"`
	CSRName               string `json:"csr_name,omitempty"`
	Outputs
	// SensitiveAttributes names the attributes set from a sensitive
	// variable (1.1). Their values are here, as in Terraform's JSON plan,
	// for policy tools; the text and Markdown plans never show them.
	SensitiveAttributes []string `json:"sensitive_attributes,omitempty"`
	// OnChange lists the configured after-change actions (1.2).
	OnChange []string `json:"on_change,omitempty"`
}

// Outputs are where an address's key and certificate go, on either side.
type Outputs struct {
	Files    []FileJSON    `json:"files"`
	CABundle string        `json:"ca_bundle,omitempty"`
	Secret   *SecretJSON   `json:"secret"`
	KeyHomes []KeyHomeJSON `json:"private_key_destinations"`
}

// FileJSON is one output file.
type FileJSON struct {
	Role string `json:"role"`
	Path string `json:"path"`
	Mode string `json:"mode"` // octal, e.g. "0600"
}

// SecretJSON is the kubernetes.io/tls Secret.
type SecretJSON struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Adopt     bool   `json:"adopt,omitempty"`
	// Formats, Labels and Annotations: the extra formats written as
	// further data keys and the Secret's template (1.2).
	Formats     []string          `json:"formats,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// KeyHomeJSON is one place the private key is written: a file (path,
// mode) or a Secret (namespace, name, under tls.key).
type KeyHomeJSON struct {
	Kind      string `json:"kind"`
	Path      string `json:"path,omitempty"`
	Mode      string `json:"mode,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	// Keys: a Secret's data keys besides tls.key that hold the key
	// (keystore.p12, keystore.jks, tls-combined.pem, key.der) (1.2).
	Keys []string `json:"keys,omitempty"`
}

// RequestJSON is the certificate request, on either side.
type RequestJSON struct {
	CommonName         string   `json:"common_name"`
	Organization       []string `json:"organization,omitempty"`
	OrganizationalUnit []string `json:"organizational_unit,omitempty"`
	Country            []string `json:"country,omitempty"`
	Province           []string `json:"province,omitempty"`
	Locality           []string `json:"locality,omitempty"`
	Hosts              []string `json:"hosts,omitempty"`
	KeyAlgorithm       string   `json:"key_algorithm"`
	KeySize            int      `json:"key_size,omitempty"`
	KeyEncoding        string   `json:"key_encoding"`
	SignerName         string   `json:"signer_name"`
	Usages             []string `json:"usages"`
	ExpirationSeconds  int32    `json:"expiration_seconds,omitempty"`
}

func requestJSON(r state.Request) RequestJSON {
	return RequestJSON{CommonName: r.CommonName, Organization: r.Organization, OrganizationalUnit: r.OrganizationalUnit,
		Country: r.Country, Province: r.Province, Locality: r.Locality, Hosts: r.Hosts, KeyAlgorithm: r.KeyAlgorithm,
		KeySize: r.KeySize, KeyEncoding: r.KeyEncoding, SignerName: r.SignerName, Usages: r.Usages, ExpirationSeconds: r.ExpirationSeconds}
}

// ImportJSON is where an import reads the key and certificate: files, or
// a Secret.
type ImportJSON struct {
	KeyFile         string `json:"key_file,omitempty"`
	CertFile        string `json:"cert_file,omitempty"`
	SecretNamespace string `json:"secret_namespace,omitempty"`
	SecretName      string `json:"secret_name,omitempty"`
}

// RemovalJSON is one thing a change removes or leaves in place.
type RemovalJSON struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Role   string `json:"role,omitempty"`
	Effect string `json:"effect"`
	// Unobserved: planned without refresh; apply checks before removing.
	Unobserved bool `json:"unobserved,omitempty"`
}

// BeforeJSON is the state record of an address, without key material
// (there is none in state to begin with).
type BeforeJSON struct {
	RequestJSON
	Status       string     `json:"status"`
	CSRName      string     `json:"csr_name,omitempty"`
	SerialNumber string     `json:"serial_number,omitempty"`
	NotBefore    *time.Time `json:"not_before,omitempty"`
	NotAfter     *time.Time `json:"not_after,omitempty"`
	KeySHA256    string     `json:"key_sha256"`
	Outputs
}

// NewPlanJSON lays p out for --json.
func NewPlanJSON(p *plan.Plan) PlanJSON {
	n := p.Counts()
	out := PlanJSON{
		FormatVersion: PlanJSONFormatVersion, CertformVersion: statefile.Version, Lineage: p.Lineage, Serial: p.Serial,
		Created: p.Created.UTC(), HasChanges: p.HasChanges(), Changes: []ChangeJSON{}, CABundles: bundlesJSON(p.Bundles), Conflicts: p.Conflicts,
		Summary: SummaryJSON{Issue: n[plan.Create], Renew: n[plan.Renew], Replace: n[plan.Replace], Update: n[plan.Update],
			Delete: n[plan.Delete], Wait: n[plan.Wait], NoOp: n[plan.NoOp], Import: n[plan.Import], Move: p.Moves(), Forget: n[plan.Forget]},
	}
	for _, c := range p.Changes {
		cj := ChangeJSON{Address: c.Addr, ModuleAddress: moduleOf(c.Addr), Action: string(c.Action), Reasons: c.Reasons, Forces: c.Forces, ReuseKey: c.ReuseKey, After: afterJSON(c),
			PreviousAddress: c.PrevAddr, Cluster: c.Cluster}
		if i := c.Import; i != nil {
			cj.Import = &ImportJSON{KeyFile: i.KeyFile, CertFile: i.CertFile, SecretNamespace: i.SecretNamespace, SecretName: i.SecretName}
		}
		for _, a := range c.AfterChange {
			cj.AfterChange = append(cj.AfterChange, AfterActionJSON{ID: a.ID, Retry: a.Retry})
		}
		if cj.Reasons == nil {
			cj.Reasons = []string{}
		}
		if b := c.Before; b != nil {
			attrs := c.BeforeAttrs
			if attrs == nil {
				attrs = plan.RecordedAttributes(b)
			}
			cj.Before = &BeforeJSON{RequestJSON: requestJSON(b.Request), Status: b.Status, CSRName: b.CSRName, SerialNumber: b.SerialNumber,
				NotBefore: timeOrNil(b.NotBefore), NotAfter: timeOrNil(b.NotAfter), KeySHA256: b.KeySHA256, Outputs: outputsJSON(attrs)}
		}
		for _, r := range c.Removes {
			cj.Removes = append(cj.Removes, RemovalJSON{Kind: r.Kind, Name: r.Name, Role: r.Role, Effect: string(r.Effect), Unobserved: r.Unobserved})
		}
		if a := c.Approval; a != nil {
			cj.PredictedApproval = &ApprovalJSON{Verdict: a.Verdict, Policy: a.Policy, Rule: a.Rule, Message: a.Message}
		}
		out.Changes = append(out.Changes, cj)
	}
	return out
}

// afterJSON lays out the planned attributes; a plan file written before
// they were saved has the request alone.
func afterJSON(c *plan.Change) *AfterJSON {
	a := afterAttrs(c)
	if a == nil {
		return nil
	}
	out := &AfterJSON{RequestJSON: requestJSON(a.Request), Outputs: outputsJSON(a), SensitiveAttributes: a.Sensitive, OnChange: a.OnChange}
	if s := a.Settings; s != nil {
		out.SelfApprove, out.KeyRotation, out.CSRName = s.SelfApprove, s.KeyRotation, s.CSRName
		out.RenewBeforePercentage = s.RenewBeforePercentage
		if s.RenewBefore > 0 {
			out.RenewBefore = s.RenewBefore.String()
		}
	}
	return out
}

func outputsJSON(a *plan.Attributes) Outputs {
	out := Outputs{Files: []FileJSON{}, CABundle: a.CABundle, KeyHomes: []KeyHomeJSON{}}
	for _, f := range a.Files {
		out.Files = append(out.Files, FileJSON{Role: f.Role, Path: f.Path, Mode: mode(f.Mode)})
	}
	if s := a.Secret; s != nil {
		out.Secret = &SecretJSON{Namespace: s.Namespace, Name: s.Name, Adopt: s.Adopt, Formats: s.Formats, Labels: s.Labels, Annotations: s.Annotations}
	}
	for _, h := range a.KeyHomes() {
		kh := KeyHomeJSON{Kind: h.Kind}
		if h.Kind == "file" {
			kh.Path, kh.Mode = h.Name, mode(h.Mode)
		} else {
			kh.Namespace, kh.Name, _ = strings.Cut(h.Name, "/")
			kh.Keys = h.Keys
		}
		out.KeyHomes = append(out.KeyHomes, kh)
	}
	return out
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// WriteJSON writes v as indented JSON without HTML escaping.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// moduleOf is the module path of addr ("" for the root module).
func moduleOf(addr string) string {
	a, err := plan.ParseAddr(addr)
	if err != nil {
		return ""
	}
	return a.Module.String()
}
