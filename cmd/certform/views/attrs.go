package views

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// attr is one rendered attribute of a certificate. Both sides of a change
// are laid out as the same sequence of names, so they compare by index.
type attr struct {
	name string
	// value holds the rendered tokens: one for a scalar, one per element
	// for a list; nil means unset.
	value []string
	list  bool
	// unrecorded: state does not record this attribute, so the before side
	// cannot tell whether it changed; a diff shows the configured value
	// without a change marker.
	unrecorded bool
	// sensitive values are never shown; cmp tells whether they changed.
	sensitive bool
	cmp       string
	// homes says where a private key is written (sensitive only).
	homes string
}

const sensitiveValue = "(sensitive value)"

// certAttrs lays a's attributes out in the order people read a
// certificate: the request, how it is issued, the files, the Secret, and
// the private key with where it is written. keyState tells whether the
// key is "kept" or "new" on this side.
func certAttrs(a *plan.Attributes, keyState string) []attr {
	if a == nil {
		a = &plan.Attributes{}
	}
	attrs := requestAttrs(&a.Request)
	attrs = append(attrs, settingAttrs(a.Settings)...)
	attrs = append(attrs, fileAttrs(a)...)
	attrs = append(attrs, secretAttrs(a)...)
	key := attr{name: "private_key", sensitive: true, cmp: keyState}
	if homes := a.KeyHomes(); len(homes) > 0 {
		key.value = []string{sensitiveValue}
		key.homes = describeHomes(homes)
	}
	return append(attrs, key)
}

// requestAttrs lays out the request: what the CSR asks for.
func requestAttrs(r *state.Request) []attr {
	key := r.KeyAlgorithm
	if r.KeySize > 0 {
		key += "-" + strconv.Itoa(r.KeySize)
	}
	if key != "" {
		key += " (" + r.KeyEncoding + ")"
	}
	expiration := attr{name: "expiration_seconds"}
	if r.ExpirationSeconds > 0 {
		expiration.value = []string{strconv.Itoa(int(r.ExpirationSeconds))}
	}
	return []attr{
		str("common_name", r.CommonName),
		strList("hosts", r.Hosts),
		strList("subject.organization", r.Organization),
		strList("subject.organizational_unit", r.OrganizationalUnit),
		strList("subject.country", r.Country),
		strList("subject.province", r.Province),
		strList("subject.locality", r.Locality),
		str("key", key),
		str("signer_name", r.SignerName),
		strList("usages", r.Usages),
		expiration,
	}
}

// settingAttrs lays out how the certificate is issued and renewed; s is
// nil on the before side (not recorded in state).
func settingAttrs(s *plan.Settings) []attr {
	if s == nil {
		s = &plan.Settings{}
	}
	attrs := []attr{
		str("key.rotation", s.KeyRotation),
		{name: "self_approve", value: []string{strconv.FormatBool(s.SelfApprove)}},
		{name: "renew_before"},
		{name: "renew_before_percentage"},
		str("csr_name", s.CSRName),
	}
	switch {
	case s.RenewBefore > 0:
		attrs[2].value = []string{strconv.Quote(s.RenewBefore.String())}
	case s.RenewBeforePercentage > 0:
		attrs[3].value = []string{strconv.Itoa(s.RenewBeforePercentage)}
	case s.KeyRotation != "":
		attrs[2].value = []string{"(default: at 2/3 of the lifetime)"}
	}
	for i := range attrs {
		attrs[i].unrecorded = true
	}
	if s.KeyRotation == "" {
		attrs[1].value = nil // the before side: nothing to show
	}
	return attrs
}

// fileAttrs lays out the output files, each path with its mode.
func fileAttrs(a *plan.Attributes) []attr {
	var attrs []attr
	for _, f := range []struct{ role, name string }{
		{state.RoleKey, "output.key_file"}, {state.RoleCert, "output.cert_file"}, {state.RoleCA, "output.ca_file"},
		{state.RoleCSR, "output.csr_file"}, {state.RoleChain, "output.chain_file"},
	} {
		at := attr{name: f.name}
		if o, ok := a.File(f.role); ok {
			at.value = []string{fmt.Sprintf("%q (mode %s)", o.Path, mode(o.Mode))}
		}
		attrs = append(attrs, at)
		if f.role == state.RoleChain {
			attrs = append(attrs, extraFileAttrs(a)...)
		}
		if f.role == state.RoleCA {
			bundle := str("output.ca_bundle", a.CABundle)
			bundle.unrecorded = true
			attrs = append(attrs, bundle)
		}
	}
	return attrs
}

// secretAttrs lays out the kubernetes.io/tls Secret.
func secretAttrs(a *plan.Attributes) []attr {
	s := a.Secret
	if s == nil {
		s = &plan.SecretTarget{}
	}
	adopt := attr{name: "secret.adopt", unrecorded: true}
	if s.Adopt {
		adopt.value = []string{"true"}
	}
	return append([]attr{str("secret.namespace", s.Namespace), str("secret.name", s.Name), adopt}, secretTemplateAttrs(s, a.OnChange)...)
}

// mask hides the values of the attributes named sensitive (configuration
// names: "key.size" hides the key): each shows as (sensitive value), and
// compares by its hidden value, so a change still shows as one.
func mask(attrs []attr, sensitive []string) {
	// Where the key goes names the Secret: hide a sensitive name there too.
	if slices.Contains(sensitive, "secret.name") || slices.Contains(sensitive, "secret.namespace") {
		var ns, name string
		for _, a := range attrs {
			if a.set() && a.name == "secret.namespace" {
				ns, _ = strconv.Unquote(a.value[0])
			}
			if a.set() && a.name == "secret.name" {
				name, _ = strconv.Unquote(a.value[0])
			}
		}
		for i, a := range attrs {
			if a.name == "private_key" && name != "" {
				attrs[i].homes = strings.ReplaceAll(a.homes, "Secret "+ns+"/"+name, "Secret "+sensitiveValue)
			}
		}
	}
	for i, a := range attrs {
		hidden := slices.ContainsFunc(sensitive, func(s string) bool {
			return s == a.name || a.name == "key" && strings.HasPrefix(s, "key.")
		})
		if hidden && a.set() {
			attrs[i].sensitive, attrs[i].cmp, attrs[i].list = true, strings.Join(a.value, "\x00"), false
		}
	}
}

func str(name, v string) attr {
	if v == "" {
		return attr{name: name}
	}
	return attr{name: name, value: []string{strconv.Quote(v)}}
}

func strList(name string, vs []string) attr {
	a := attr{name: name, list: true}
	for _, v := range vs {
		a.value = append(a.value, strconv.Quote(v))
	}
	return a
}

func mode(m fs.FileMode) string {
	return fmt.Sprintf("%04o", uint32(m.Perm()))
}

// describeHomes says where a private key is written.
func describeHomes(homes []plan.KeyHome) string {
	var parts []string
	for _, h := range homes {
		if h.Kind == "file" {
			parts = append(parts, fmt.Sprintf("file %s (mode %s)", h.Name, mode(h.Mode)))
		} else {
			parts = append(parts, fmt.Sprintf("Secret %s (tls.key)", h.Name))
		}
		if h.Kind == "secret" && len(h.Keys) > 0 {
			parts[len(parts)-1] = fmt.Sprintf("Secret %s (%s)", h.Name, strings.Join(append([]string{"tls.key"}, h.Keys...), ", "))
		}
	}
	return strings.Join(parts, " and ")
}

// set reports whether a has a value to show.
func (a attr) set() bool { return len(a.value) > 0 }

// equal reports whether two sides of an attribute are the same.
func (a attr) equal(b attr) bool {
	if a.sensitive || b.sensitive {
		return a.set() == b.set() && a.cmp == b.cmp && a.homes == b.homes
	}
	if len(a.value) != len(b.value) {
		return false
	}
	for i := range a.value {
		if a.value[i] != b.value[i] {
			return false
		}
	}
	return true
}

// inline renders the whole value on one line.
func (a attr) inline() string {
	switch {
	case !a.set():
		return "(unset)"
	case a.list:
		return "[" + strings.Join(a.value, ", ") + "]"
	}
	return a.value[0]
}
