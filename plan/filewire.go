package plan

import (
	"io/fs"
	"time"

	"github.com/certform/certform/state"
)

// The saved plan's wire types: the file's own, converted to and from the
// model, so that renaming a field of Plan or Change never changes a file.
// A type named V1 has the shape it had in format 1 and still has in
// format 2; format 2 changed only the CA bundle changes, which format 1
// wrote with Go field names ("Addr", "PEM").

// fileV2 is a saved plan of format 2, the one written.
type fileV2 struct {
	FormatVersion   int                       `json:"format_version"`
	CertformVersion string                    `json:"certform_version"`
	Lineage         string                    `json:"lineage"`
	Serial          uint64                    `json:"serial"`
	ConfigDigest    string                    `json:"config_digest"`
	Created         time.Time                 `json:"created"`
	Changes         []*changeV1               `json:"changes"`
	Bundles         []*bundleV2               `json:"ca_bundles,omitempty"`
	CAContent       map[string][]byte         `json:"ca_content,omitempty"`
	Workspace       string                    `json:"workspace,omitempty"`
	StateDigest     string                    `json:"state_digest,omitempty"`
	Variables       map[string]fileVariableV1 `json:"variables,omitempty"`
}

// fileV1 is a saved plan of format 1: format 2 but for its bundles (the
// shallower field wins in encoding/json).
type fileV1 struct {
	fileV2
	Bundles []*bundleV1 `json:"ca_bundles,omitempty"`
}

type changeV1 struct {
	Addr        string     `json:"address"`
	Action      string     `json:"action"`
	After       *requestV1 `json:"after,omitempty"`
	Forces      []string   `json:"forces,omitempty"`
	Reasons     []string   `json:"reasons,omitempty"`
	ReuseKey    bool       `json:"reuse_key,omitempty"`
	RewriteCert bool       `json:"rewrite_cert,omitempty"`
	// AfterAttrs and Removes are what show PLANFILE displays; apply
	// does not read them. Absent from files of older versions.
	AfterAttrs *attributesV1 `json:"after_attributes,omitempty"`
	Removes    []removalV1   `json:"removes,omitempty"`
	PrevAddr   string        `json:"previous_address,omitempty"`
	Import     *importV1     `json:"import,omitempty"`
	// AfterChange: the after-change actions apply runs (absent from
	// files written before them).
	AfterChange []afterActionV1 `json:"after_change,omitempty"`
}

type afterActionV1 struct {
	ID    string `json:"id"`
	Retry bool   `json:"retry,omitempty"`
}

type requestV1 struct {
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

type attributesV1 struct {
	Request   requestV1       `json:"request"`
	Settings  *settingsV1     `json:"settings,omitempty"`
	Files     []outputV1      `json:"files,omitempty"`
	CABundle  string          `json:"ca_bundle,omitempty"`
	Secret    *secretTargetV1 `json:"secret,omitempty"`
	Sensitive []string        `json:"sensitive,omitempty"`
	OnChange  []string        `json:"on_change,omitempty"`
}

type settingsV1 struct {
	SelfApprove           bool   `json:"self_approve,omitempty"`
	RenewBefore           int64  `json:"renew_before,omitempty"` // nanoseconds
	RenewBeforePercentage int    `json:"renew_before_percentage,omitempty"`
	KeyRotation           string `json:"key_rotation,omitempty"`
	CSRName               string `json:"csr_name,omitempty"`
}

type outputV1 struct {
	Role string `json:"role"`
	Path string `json:"path"`
	Mode uint32 `json:"mode"` // permission bits, as a number
}

type secretTargetV1 struct {
	Namespace   string            `json:"namespace"`
	Name        string            `json:"name"`
	Adopt       bool              `json:"adopt,omitempty"`
	Formats     []string          `json:"formats,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type removalV1 struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Role       string `json:"role,omitempty"`
	Effect     string `json:"effect"`
	Unobserved bool   `json:"unobserved,omitempty"`
}

type importV1 struct {
	KeyFile         string `json:"key_file,omitempty"`
	CertFile        string `json:"cert_file,omitempty"`
	SecretNamespace string `json:"secret_namespace,omitempty"`
	SecretName      string `json:"secret_name,omitempty"`
}

// bundleV2 is one ca_bundle change, snake_case since format 2.
type bundleV2 struct {
	Addr    string         `json:"address"`
	Action  string         `json:"action"`
	Targets []*targetV2    `json:"targets"`
	Files   []bundleFileV1 `json:"files,omitempty"`
	Reasons []string       `json:"reasons,omitempty"`
}

type targetV2 struct {
	Kind         string   `json:"kind"`
	Namespace    string   `json:"namespace"`
	Name         string   `json:"name"`
	Key          string   `json:"key"`
	Action       string   `json:"action"`
	Adopt        bool     `json:"adopt,omitempty"`
	Added        []caV1   `json:"added,omitempty"`
	Removed      []caV1   `json:"removed,omitempty"`
	Kept         []caV1   `json:"kept,omitempty"`
	PEM          []byte   `json:"pem,omitempty"`
	Fingerprints []string `json:"fingerprints,omitempty"`
}

// bundleV1 is a ca_bundle change as format 1 wrote it: Go field names.
type bundleV1 struct {
	Addr    string         `json:"Addr"`
	Action  string         `json:"Action"`
	Targets []*targetV1    `json:"Targets"`
	Files   []bundleFileV1 `json:"files,omitempty"`
	Reasons []string       `json:"Reasons"`
}

type targetV1 struct {
	Kind         string   `json:"Kind"`
	Namespace    string   `json:"Namespace"`
	Name         string   `json:"Name"`
	Key          string   `json:"Key"`
	Action       string   `json:"Action"`
	Adopt        bool     `json:"Adopt"`
	Added        []caV1   `json:"Added"`
	Removed      []caV1   `json:"Removed"`
	Kept         []caV1   `json:"Kept"`
	PEM          []byte   `json:"PEM"`
	Fingerprints []string `json:"Fingerprints"`
}

type bundleFileV1 struct {
	Addr string `json:"address"`
	Path string `json:"path"`
}

type caV1 struct {
	Fingerprint string    `json:"sha256"`
	Subject     string    `json:"subject"`
	NotAfter    time.Time `json:"not_after"`
}

func encodeChange(c *Change) *changeV1 {
	w := &changeV1{Addr: c.Addr, Action: string(c.Action), Forces: c.Forces, Reasons: c.Reasons, ReuseKey: c.ReuseKey,
		RewriteCert: c.RewriteCert, PrevAddr: c.PrevAddr}
	if c.After != nil {
		r := encodeRequest(*c.After)
		w.After = &r
	}
	if a := c.AfterAttrs; a != nil {
		w.AfterAttrs = &attributesV1{Request: encodeRequest(a.Request), CABundle: a.CABundle, Sensitive: a.Sensitive, OnChange: a.OnChange}
		if s := a.Settings; s != nil {
			w.AfterAttrs.Settings = &settingsV1{SelfApprove: s.SelfApprove, RenewBefore: int64(s.RenewBefore),
				RenewBeforePercentage: s.RenewBeforePercentage, KeyRotation: s.KeyRotation, CSRName: s.CSRName}
		}
		for _, f := range a.Files {
			w.AfterAttrs.Files = append(w.AfterAttrs.Files, outputV1{Role: f.Role, Path: f.Path, Mode: uint32(f.Mode)})
		}
		if s := a.Secret; s != nil {
			w.AfterAttrs.Secret = &secretTargetV1{Namespace: s.Namespace, Name: s.Name, Adopt: s.Adopt, Formats: s.Formats, Labels: s.Labels, Annotations: s.Annotations}
		}
	}
	for _, r := range c.Removes {
		w.Removes = append(w.Removes, removalV1{Kind: r.Kind, Name: r.Name, Role: r.Role, Effect: string(r.Effect), Unobserved: r.Unobserved})
	}
	if i := c.Import; i != nil {
		w.Import = &importV1{KeyFile: i.KeyFile, CertFile: i.CertFile, SecretNamespace: i.SecretNamespace, SecretName: i.SecretName}
	}
	for _, a := range c.AfterChange {
		w.AfterChange = append(w.AfterChange, afterActionV1{ID: a.ID, Retry: a.Retry})
	}
	return w
}

func decodeChange(w *changeV1) *Change {
	c := &Change{Addr: w.Addr, Action: Action(w.Action), Forces: w.Forces, Reasons: w.Reasons, ReuseKey: w.ReuseKey,
		RewriteCert: w.RewriteCert, PrevAddr: w.PrevAddr}
	if w.After != nil {
		r := decodeRequest(*w.After)
		c.After = &r
	}
	if a := w.AfterAttrs; a != nil {
		c.AfterAttrs = &Attributes{Request: decodeRequest(a.Request), CABundle: a.CABundle, Sensitive: a.Sensitive, OnChange: a.OnChange}
		if s := a.Settings; s != nil {
			c.AfterAttrs.Settings = &Settings{SelfApprove: s.SelfApprove, RenewBefore: time.Duration(s.RenewBefore),
				RenewBeforePercentage: s.RenewBeforePercentage, KeyRotation: s.KeyRotation, CSRName: s.CSRName}
		}
		for _, f := range a.Files {
			c.AfterAttrs.Files = append(c.AfterAttrs.Files, Output{Role: f.Role, Path: f.Path, Mode: fs.FileMode(f.Mode)})
		}
		if s := a.Secret; s != nil {
			c.AfterAttrs.Secret = &SecretTarget{Namespace: s.Namespace, Name: s.Name, Adopt: s.Adopt, Formats: s.Formats, Labels: s.Labels, Annotations: s.Annotations}
		}
	}
	for _, r := range w.Removes {
		c.Removes = append(c.Removes, Removal{Kind: r.Kind, Name: r.Name, Role: r.Role, Effect: Effect(r.Effect), Unobserved: r.Unobserved})
	}
	if i := w.Import; i != nil {
		c.Import = &ImportSource{KeyFile: i.KeyFile, CertFile: i.CertFile, SecretNamespace: i.SecretNamespace, SecretName: i.SecretName}
	}
	for _, a := range w.AfterChange {
		c.AfterChange = append(c.AfterChange, AfterAction{ID: a.ID, Retry: a.Retry})
	}
	return c
}

func encodeRequest(r state.Request) requestV1 {
	return requestV1{CommonName: r.CommonName, Organization: r.Organization, OrganizationalUnit: r.OrganizationalUnit,
		Country: r.Country, Province: r.Province, Locality: r.Locality, Hosts: r.Hosts, KeyAlgorithm: r.KeyAlgorithm,
		KeySize: r.KeySize, KeyEncoding: r.KeyEncoding, SignerName: r.SignerName, Usages: r.Usages, ExpirationSeconds: r.ExpirationSeconds}
}

func decodeRequest(r requestV1) state.Request {
	return state.Request{CommonName: r.CommonName, Organization: r.Organization, OrganizationalUnit: r.OrganizationalUnit,
		Country: r.Country, Province: r.Province, Locality: r.Locality, Hosts: r.Hosts, KeyAlgorithm: r.KeyAlgorithm,
		KeySize: r.KeySize, KeyEncoding: r.KeyEncoding, SignerName: r.SignerName, Usages: r.Usages, ExpirationSeconds: r.ExpirationSeconds}
}

func encodeBundle(b *BundleChange) *bundleV2 {
	if b == nil {
		return nil
	}
	w := &bundleV2{Addr: b.Addr, Action: string(b.Action), Targets: []*targetV2{}, Reasons: b.Reasons}
	for _, f := range b.Files {
		w.Files = append(w.Files, bundleFileV1{Addr: f.Addr, Path: f.Path})
	}
	for _, t := range b.Targets {
		if t == nil {
			w.Targets = append(w.Targets, nil)
			continue
		}
		w.Targets = append(w.Targets, &targetV2{Kind: t.Kind, Namespace: t.Namespace, Name: t.Name, Key: t.Key, Action: string(t.Action),
			Adopt: t.Adopt, Added: encodeCAs(t.Added), Removed: encodeCAs(t.Removed), Kept: encodeCAs(t.Kept), PEM: t.PEM, Fingerprints: t.Fingerprints})
	}
	return w
}

func decodeBundle(w *bundleV2) *BundleChange {
	if w == nil {
		return nil
	}
	b := &BundleChange{Addr: w.Addr, Action: Action(w.Action), Reasons: w.Reasons}
	for _, f := range w.Files {
		b.Files = append(b.Files, BundleFile{Addr: f.Addr, Path: f.Path})
	}
	for _, t := range w.Targets {
		if t == nil {
			b.Targets = append(b.Targets, nil)
			continue
		}
		b.Targets = append(b.Targets, &TargetChange{Kind: t.Kind, Namespace: t.Namespace, Name: t.Name, Key: t.Key, Action: Action(t.Action),
			Adopt: t.Adopt, Added: decodeCAs(t.Added), Removed: decodeCAs(t.Removed), Kept: decodeCAs(t.Kept), PEM: t.PEM, Fingerprints: t.Fingerprints})
	}
	return b
}

// upgrade is a format 1 bundle change in format 2's shape.
func (b *bundleV1) upgrade() *bundleV2 {
	if b == nil {
		return nil
	}
	w := &bundleV2{Addr: b.Addr, Action: b.Action, Files: b.Files, Reasons: b.Reasons}
	for _, t := range b.Targets {
		if t == nil {
			w.Targets = append(w.Targets, nil)
			continue
		}
		w.Targets = append(w.Targets, &targetV2{Kind: t.Kind, Namespace: t.Namespace, Name: t.Name, Key: t.Key, Action: t.Action,
			Adopt: t.Adopt, Added: t.Added, Removed: t.Removed, Kept: t.Kept, PEM: t.PEM, Fingerprints: t.Fingerprints})
	}
	return w
}

func encodeCAs(cas []CA) []caV1 {
	var out []caV1
	for _, c := range cas {
		out = append(out, caV1{Fingerprint: c.Fingerprint, Subject: c.Subject, NotAfter: c.NotAfter})
	}
	return out
}

func decodeCAs(cas []caV1) []CA {
	var out []CA
	for _, c := range cas {
		out = append(out, CA{Fingerprint: c.Fingerprint, Subject: c.Subject, NotAfter: c.NotAfter})
	}
	return out
}
