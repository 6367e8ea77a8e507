package plan

import (
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/formats"
	"github.com/certform/certform/state"
)

// Attributes are what a reviewer judges about one side of a certificate
// change: what is requested, how it is issued and renewed, and where its
// key and certificate are written. They never hold key material: a key
// appears only as the places it is written to (KeyHomes).
type Attributes struct {
	Request state.Request
	// Settings is how the certificate is issued and renewed; nil on the
	// before side, because state does not record them.
	Settings *Settings
	// Files are the output files, key first, then cert, ca, csr, chain.
	Files []Output
	// CABundle is the ca_bundle address whose content ca_file receives;
	// "" when ca_file takes the signer's chain (or there is none). Not
	// recorded in state, so "" on the before side.
	CABundle string
	// Secret is the kubernetes.io/tls Secret, nil when none.
	Secret *SecretTarget
	// OnChange lists the after-change actions configured (after side
	// only): config.Restart IDs and config.CommandID.
	OnChange []string
	// Sensitive names the attributes set from a sensitive variable
	// ("common_name", "secret.name", "key.size", ...): shown as
	// (sensitive value). Only the planned side has them.
	Sensitive []string
}

// Settings are the attributes that shape how a certificate is issued and
// renewed but are not part of its request.
type Settings struct {
	SelfApprove bool
	// RenewBefore and RenewBeforePercentage as configured; both zero means
	// renewal at two thirds of the lifetime.
	RenewBefore           time.Duration
	RenewBeforePercentage int
	KeyRotation           string // config.RotateAlways or config.RotateNever
	CSRName               string // "": derived from the address and key fingerprint
}

// SecretTarget is the namespace and name of a certificate's kubernetes.io/tls
// Secret.
type SecretTarget struct {
	Namespace string
	Name      string
	// Adopt: the secret block sets adopt = true (after side only).
	Adopt bool
	// Formats are the extra formats written as further data keys;
	// Labels and Annotations the secret block's template.
	Formats             []string
	Labels, Annotations map[string]string
}

func (s *SecretTarget) equal(o *SecretTarget) bool {
	return s.Namespace == o.Namespace && s.Name == o.Name && s.Adopt == o.Adopt && slices.Equal(s.Formats, o.Formats) &&
		maps.Equal(s.Labels, o.Labels) && maps.Equal(s.Annotations, o.Annotations)
}

// Output roles in the order plans list them.
var roleOrder = state.Roles

// AttributesOf are the planned attributes of a certificate block.
func AttributesOf(c *config.Certificate) *Attributes {
	a := &Attributes{
		Request:  RequestOf(c),
		Settings: &Settings{SelfApprove: c.SelfApprove, RenewBefore: c.RenewBefore, RenewBeforePercentage: c.RenewBeforePercentage, KeyRotation: c.Key.Rotation, CSRName: c.CSRName},
		Files:    Outputs(c),
	}
	if c.HasFiles() && c.Output.CAFile != "" {
		a.CABundle = c.Output.CABundle
	}
	if s := c.Secret; s != nil {
		a.Secret = &SecretTarget{Namespace: s.Namespace, Name: s.Name, Adopt: s.Adopt, Formats: s.Formats, Labels: s.Labels, Annotations: s.Annotations}
	}
	a.OnChange = c.OnChange.IDs()
	a.Sensitive = slices.Sorted(maps.Keys(c.Sensitive))
	return a
}

// RecordedAttributes are the attributes state recorded for rec: the
// request, the files as written (with their modes) and the Secret.
func RecordedAttributes(rec *state.Certificate) *Attributes {
	if rec == nil {
		return nil
	}
	a := &Attributes{Request: rec.Request}
	for path, f := range rec.Files {
		a.Files = append(a.Files, Output{Role: f.Role, Path: filepath.Clean(path), Mode: f.Mode.Perm()})
	}
	slices.SortFunc(a.Files, func(x, y Output) int {
		if d := slices.Index(roleOrder, x.Role) - slices.Index(roleOrder, y.Role); d != 0 {
			return d
		}
		return strings.Compare(x.Path, y.Path)
	})
	if s := rec.Secret; s != nil {
		a.Secret = &SecretTarget{Namespace: s.Namespace, Name: s.Name, Formats: formatsOfKeys(s.Keys), Labels: s.Labels, Annotations: s.Annotations}
	}
	return a
}

// File returns the output with role, if any.
func (a *Attributes) File(role string) (Output, bool) {
	for _, o := range a.Files {
		if o.Role == role {
			return o, true
		}
	}
	return Output{}, false
}

// KeyHome is one place a private key is written: a file (with its mode)
// or a Secret.
type KeyHome struct {
	Kind string      // "file" or "secret"
	Name string      // the path, or "namespace/name"
	Mode fs.FileMode // files only
	// Keys are a Secret's data keys besides tls.key that hold the key
	// (keystore.p12, ...), sorted.
	Keys []string
}

// KeyHomes lists where the private key is written: the key file, then the
// Secret's tls.key.
func (a *Attributes) KeyHomes() []KeyHome {
	var out []KeyHome
	for _, o := range a.Files {
		if o.Role == state.RoleKey || formats.Kind(o.Role).HoldsKey() {
			out = append(out, KeyHome{Kind: "file", Name: o.Path, Mode: o.Mode})
		}
	}
	if s := a.Secret; s != nil {
		h := KeyHome{Kind: "secret", Name: s.Namespace + "/" + s.Name}
		for k, kind := range formats.SecretKeys(s.Formats, false) {
			if kind.HoldsKey() {
				h.Keys = append(h.Keys, k)
			}
		}
		slices.Sort(h.Keys)
		out = append(out, h)
	}
	return out
}
