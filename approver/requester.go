package approver

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	certv1 "k8s.io/api/certificates/v1"
)

// requester is who asked for a CSR, as the apiserver recorded it: the
// identity policies may refer to as requester.ATTRIBUTE, so that one
// policy serves every team ("*.${requester.namespace}.svc").
type requester struct {
	Username string
	Groups   []string
	// Namespace and ServiceAccount are set for a service account
	// (system:serviceaccount:NAMESPACE:NAME).
	Namespace      string
	ServiceAccount string
	// Node is set for a node (system:node:NAME).
	Node string
}

const (
	serviceAccountPrefix = "system:serviceaccount:"
	nodePrefix           = "system:node:"
)

// requesterOf reads the requester of csr.
func requesterOf(csr *certv1.CertificateSigningRequest) requester {
	r := requester{Username: csr.Spec.Username, Groups: csr.Spec.Groups}
	if sa, ok := strings.CutPrefix(r.Username, serviceAccountPrefix); ok {
		if ns, name, ok := strings.Cut(sa, ":"); ok && ns != "" && name != "" && !strings.Contains(name, ":") {
			r.Namespace, r.ServiceAccount = ns, name
		}
	}
	if node, ok := strings.CutPrefix(r.Username, nodePrefix); ok && node != "" {
		r.Node = node
	}
	return r
}

// requesterAttrs are the attributes a policy may refer to. Each evaluates,
// when the policy is loaded, to a placeholder that expandTemplate later
// replaces with the requester's value; requester.groups is a list of one
// placeholder that expands to one pattern per group.
var requesterAttrs = []string{"username", "namespace", "service_account", "node", "groups"}

// placeholder marks where a requester attribute goes. NUL cannot occur in
// a policy's own strings (the parser refuses control characters there is no
// way to type), so a placeholder is never mistaken for text.
func placeholder(attr string) string { return "\x00requester." + attr + "\x00" }

// templateContext lets policy expressions refer to requester.ATTRIBUTE;
// any other attribute or variable is a diagnostic with its range.
func templateContext() *hcl.EvalContext {
	attrs := map[string]cty.Value{}
	for _, a := range requesterAttrs {
		attrs[a] = cty.StringVal(placeholder(a))
	}
	attrs["groups"] = cty.ListVal([]cty.Value{cty.StringVal(placeholder("groups"))})
	return &hcl.EvalContext{Variables: map[string]cty.Value{"requester": cty.ObjectVal(attrs)}}
}

// hintRequester adds to a reference to an attribute the requester does not
// have the list of those it has.
func hintRequester(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		if d.Summary == "Unsupported attribute" && d.EvalContext != nil {
			d.Detail += " A policy may refer to requester." + strings.Join(requesterAttrs, ", requester.") + "."
		}
	}
	return diags
}

// isTemplate reports whether s refers to the requester.
func isTemplate(s string) bool { return strings.Contains(s, "\x00requester.") }

// expandTemplate returns the patterns s stands for when r is the
// requester. A pattern referring to an attribute r does not have (the
// namespace of a user that is not a service account), or whose value holds
// one of forbidden (a "*" would widen any pattern, a "/" add URI path
// segments), stands for nothing: it allows nothing.
func (r requester) expandTemplate(s, forbidden string) []string {
	if !isTemplate(s) {
		return []string{s}
	}
	scalars := map[string]string{"username": r.Username, "namespace": r.Namespace,
		"service_account": r.ServiceAccount, "node": r.Node}
	for attr, v := range scalars {
		p := placeholder(attr)
		if !strings.Contains(s, p) {
			continue
		}
		if v == "" || strings.ContainsAny(v, forbidden) {
			return nil
		}
		s = strings.ReplaceAll(s, p, v)
	}
	p := placeholder("groups")
	if !strings.Contains(s, p) {
		return []string{s}
	}
	var out []string
	for _, g := range r.Groups {
		if g != "" && !strings.ContainsAny(g, forbidden) {
			out = append(out, r.expandTemplate(strings.ReplaceAll(s, p, g), forbidden)...)
		}
	}
	return out
}

// Characters a requester's value may not bring into a pattern.
const (
	forbiddenInPattern = "*"
	forbiddenInURI     = "*/?#@%"
)

// expandAll expands every pattern of list for r.
func (r requester) expandAll(list []string, forbidden string) []string {
	if !hasTemplate(list) {
		return list
	}
	var out []string
	for _, s := range list {
		out = append(out, r.expandTemplate(s, forbidden)...)
	}
	return out
}

func hasTemplate(list []string) bool {
	for _, s := range list {
		if isTemplate(s) {
			return true
		}
	}
	return false
}

// forRequester returns a with every template expanded for r; a itself when
// it holds none.
func (a *Allowed) forRequester(r requester) *Allowed {
	if !a.templated {
		return a
	}
	c := *a
	for _, l := range c.patternLists() {
		*l = r.expandAll(*l, forbiddenInPattern)
	}
	c.URIs = r.expandAll(c.URIs, forbiddenInURI)
	return &c
}

// templatedLists reports whether any list of a refers to the requester.
func (a *Allowed) templatedLists() bool {
	for _, l := range a.patternLists() {
		if hasTemplate(*l) {
			return true
		}
	}
	return hasTemplate(a.URIs)
}

// patternLists are the lists of a whose patterns may refer to the
// requester, URIs apart.
func (a *Allowed) patternLists() []*[]string {
	return []*[]string{&a.DNSNames, &a.EmailAddresses, &a.CommonNames, &a.Organizations,
		&a.OrganizationalUnits, &a.Countries, &a.Provinces, &a.Localities, &a.StreetAddresses,
		&a.PostalCodes, &a.SerialNumbers, &a.Annotations}
}
