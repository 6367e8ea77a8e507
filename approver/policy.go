package approver

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/pki"
)

// Policy is one policy block: which CSRs it speaks for (signer and
// requester) and what it allows them.
type Policy struct {
	Name        string
	SignerNames []string
	Requesters  Requesters
	Allowed     Allowed
	// Context holds the checks against the cluster; nil when none is set.
	Context   *ContextRules
	DeclRange hcl.Range
}

// Requesters says who a policy speaks for. A CSR's requester matches when
// its username is in Users, or one of its groups is in Groups, or it is a
// service account "system:serviceaccount:NS:NAME" whose "NS:NAME" matches a
// pattern of ServiceAccounts ("*" matches any run of characters but ":").
type Requesters struct {
	Users           []string `hcl:"users,optional"`
	Groups          []string `hcl:"groups,optional"`
	ServiceAccounts []string `hcl:"service_accounts,optional"`
}

// Allowed is what a policy allows. Every list is an allow-list, and one
// that is not set allows nothing: a CSR asking for anything unlisted is
// denied (write ["*"] to allow any common name, for instance).
//
// Subject attributes are allow-lists of patterns in which "*" matches any
// run of characters; an attribute the request does not carry needs no
// entry.
type Allowed struct {
	DNSNames       []string // patterns; "*" matches one DNS label or part of one
	IPRanges       []netip.Prefix
	EmailAddresses []string // patterns; "*" matches any run of characters
	// URIs are SCHEME://HOST/PATH patterns: "*" matches within a host label
	// or a path segment, a last segment "**" any number of segments.
	URIs                []string
	CommonNames         []string
	Organizations       []string
	OrganizationalUnits []string
	Countries           []string
	Provinces           []string
	Localities          []string
	StreetAddresses     []string
	PostalCodes         []string
	SerialNumbers       []string
	Usages              []string
	KeyAlgorithms       []string // ecdsa, rsa, ed25519
	MinRSABits          int      // never below 2048 whatever is set
	// MaxExpiration is 0 for no limit; otherwise a lifetime must be asked
	// for (expirationSeconds or cert-manager's request-duration annotation)
	// and every one asked must be within it.
	MaxExpiration time.Duration
	// AllowCA lets a request ask for a CA certificate (cert-manager's
	// request-is-ca annotation, or a CA:TRUE basic constraints extension).
	AllowCA bool
	// CheckAnnotations makes Annotations an allow-list of annotation keys
	// (patterns, "*" any run); unset, annotations no signer reads pass.
	CheckAnnotations bool
	Annotations      []string

	// templated is set when a list refers to the requester, so it must be
	// expanded per request.
	templated bool
}

type rawFile struct {
	Policies []*rawPolicy `hcl:"policy,block"`
}

type rawPolicy struct {
	Name        string      `hcl:"name,label"`
	SignerNames []string    `hcl:"signer_names"`
	Requesters  *Requesters `hcl:"requesters,block"`
	Allowed     *rawAllowed `hcl:"allowed,block"`
	Context     *rawContext `hcl:"context,block"`
	DefRange    hcl.Range   `hcl:",def_range"`
}

type rawContext struct {
	Services      bool      `hcl:"services,optional"`
	WorkloadIPs   bool      `hcl:"workload_ips,optional"`
	NodeAddresses bool      `hcl:"node_addresses,optional"`
	ClusterDomain string    `hcl:"cluster_domain,optional"`
	RBAC          *RBACRule `hcl:"rbac,block"`
	DefRange      hcl.Range `hcl:",def_range"`
}

type rawAllowed struct {
	DNSNames            []string  `hcl:"dns_names,optional"`
	IPRanges            []string  `hcl:"ip_ranges,optional"`
	EmailAddresses      []string  `hcl:"email_addresses,optional"`
	URIs                []string  `hcl:"uris,optional"`
	CommonNames         []string  `hcl:"common_names,optional"`
	Organizations       []string  `hcl:"organizations,optional"`
	OrganizationalUnits []string  `hcl:"organizational_units,optional"`
	Countries           []string  `hcl:"countries,optional"`
	Provinces           []string  `hcl:"provinces,optional"`
	Localities          []string  `hcl:"localities,optional"`
	StreetAddresses     []string  `hcl:"street_addresses,optional"`
	PostalCodes         []string  `hcl:"postal_codes,optional"`
	SerialNumbers       []string  `hcl:"serial_numbers,optional"`
	Usages              []string  `hcl:"usages,optional"`
	KeyAlgorithms       []string  `hcl:"key_algorithms,optional"`
	MinRSABits          int       `hcl:"min_rsa_bits,optional"`
	MaxExpiration       string    `hcl:"max_expiration,optional"`
	AllowCA             bool      `hcl:"allow_ca,optional"`
	Annotations         *[]string `hcl:"annotations,optional"`
	DefRange            hcl.Range `hcl:",def_range"`
}

// Load reads the policy blocks of every *.hcl file in dir (or of the one
// file dir names). Policies keep file order; names must be unique. The
// lists of allowed (ip_ranges apart) may refer to the requester:
// "*.${requester.namespace}.svc"; see requesterAttrs.
func Load(dir string) ([]*Policy, map[string]*hcl.File, hcl.Diagnostics) {
	parser := hclparse.NewParser()
	files := []string{dir}
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		files, _ = filepath.Glob(filepath.Join(dir, "*.hcl"))
	}
	if len(files) == 0 {
		return nil, parser.Files(), hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No policy files",
			Detail: fmt.Sprintf("%s holds no *.hcl policy files; pass --policy DIR or a file.", dir)}}
	}
	var policies []*Policy
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	for _, name := range files {
		f, d := parsePolicy(parser, name)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		var raw rawFile
		diags = append(diags, hintRequester(gohcl.DecodeBody(f.Body, templateContext(), &raw))...)
		for _, rp := range raw.Policies {
			if prev, dup := seen[rp.Name]; dup {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate policy",
					Detail: fmt.Sprintf("A policy %q was already defined at %s; give each policy its own name.", rp.Name, prev), Subject: rp.DefRange.Ptr()})
				continue
			}
			seen[rp.Name] = rp.DefRange
			p, d := rp.policy()
			diags = append(diags, d...)
			policies = append(policies, p)
		}
	}
	return policies, parser.Files(), diags
}

func (rp *rawPolicy) policy() (*Policy, hcl.Diagnostics) {
	p := &Policy{Name: rp.Name, SignerNames: rp.SignerNames, DeclRange: rp.DefRange}
	var diags hcl.Diagnostics
	bad := func(summary, detail string, r hcl.Range) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: r.Ptr()})
	}
	if rp.Requesters != nil {
		p.Requesters = *rp.Requesters
	}
	if r := p.Requesters; len(r.Users)+len(r.Groups)+len(r.ServiceAccounts) == 0 {
		bad("Policy speaks for nobody", "Add a requesters block with users, groups or service_accounts (\"NAMESPACE:NAME\", \"*\" as a wildcard).", rp.DefRange)
	}
	if rp.Allowed == nil {
		bad("Policy allows nothing", "Add an allowed block listing what requesters may ask for.", rp.DefRange)
		return p, diags
	}
	a := rp.Allowed
	p.Allowed = Allowed{DNSNames: a.DNSNames, EmailAddresses: a.EmailAddresses, URIs: a.URIs, CommonNames: a.CommonNames,
		Organizations: a.Organizations, OrganizationalUnits: a.OrganizationalUnits, Countries: a.Countries,
		Provinces: a.Provinces, Localities: a.Localities, StreetAddresses: a.StreetAddresses, PostalCodes: a.PostalCodes,
		SerialNumbers: a.SerialNumbers, Usages: a.Usages, KeyAlgorithms: a.KeyAlgorithms, MinRSABits: a.MinRSABits,
		AllowCA: a.AllowCA}
	if a.Annotations != nil {
		p.Allowed.CheckAnnotations, p.Allowed.Annotations = true, *a.Annotations
	}
	p.Allowed.templated = p.Allowed.templatedLists()
	notHere := func(where string, values ...string) {
		if hasTemplate(values) {
			bad("Requester attribute not allowed here", fmt.Sprintf("%s cannot refer to the requester; requester.* may be used in the name and subject lists of allowed, and in context.rbac's name and namespace.", where), rp.DefRange)
		}
	}
	notHere("signer_names", rp.SignerNames...)
	notHere("requesters", slices.Concat(p.Requesters.Users, p.Requesters.Groups, p.Requesters.ServiceAccounts)...)
	notHere("ip_ranges", a.IPRanges...)
	notHere("usages", a.Usages...)
	notHere("key_algorithms", a.KeyAlgorithms...)
	notHere("max_expiration", a.MaxExpiration)
	if rp.Context != nil {
		p.Context, diags = rp.Context.rules(diags)
		if r := p.Context.RBAC; r != nil {
			notHere("context.rbac's verb, group and resource", r.Verb, r.Group, r.Resource)
		}
	}
	for _, u := range a.URIs {
		if isTemplate(u) {
			u = strings.ReplaceAll(u, "\x00", "")
		}
		if _, err := parseURIPattern(u); err != nil {
			bad("Invalid URI pattern", err.Error()+".", a.DefRange)
		}
	}
	for _, cidr := range a.IPRanges {
		prefix, err := netip.ParsePrefix(cidr)
		if err != nil {
			bad("Invalid IP range", fmt.Sprintf("%q is not a CIDR range such as \"10.0.0.0/8\".", cidr), a.DefRange)
			continue
		}
		p.Allowed.IPRanges = append(p.Allowed.IPRanges, prefix.Masked())
	}
	for _, u := range a.Usages {
		if !pki.IsUsage(u) {
			bad("Unknown usage", fmt.Sprintf("%q is not a usage of the CSR API.", u), a.DefRange)
		}
	}
	for _, k := range a.KeyAlgorithms {
		if !slices.Contains([]string{pki.ECDSA, pki.RSA, pki.Ed25519}, k) {
			bad("Unknown key algorithm", fmt.Sprintf("%q is not one of ecdsa, rsa, ed25519.", k), a.DefRange)
		}
	}
	if a.MaxExpiration != "" {
		d, err := time.ParseDuration(a.MaxExpiration)
		if err != nil || d < 10*time.Minute {
			bad("Invalid max_expiration", fmt.Sprintf("%q is not a duration of at least 10m, e.g. \"720h\".", a.MaxExpiration), a.DefRange)
		}
		p.Allowed.MaxExpiration = d
	}
	for _, sa := range p.Requesters.ServiceAccounts {
		if !strings.Contains(sa, ":") {
			bad("Invalid service account", fmt.Sprintf("%q is not \"NAMESPACE:NAME\" (\"team-a:*\" for every account of team-a).", sa), rp.DefRange)
		}
	}
	return p, diags
}

// rules checks the context block and returns its rules.
func (rc *rawContext) rules(diags hcl.Diagnostics) (*ContextRules, hcl.Diagnostics) {
	c := &ContextRules{Services: rc.Services, WorkloadIPs: rc.WorkloadIPs, NodeAddresses: rc.NodeAddresses,
		ClusterDomain: strings.TrimSuffix(rc.ClusterDomain, "."), RBAC: rc.RBAC}
	if c.ClusterDomain != "" && badDNSName(c.ClusterDomain) != "" {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid cluster_domain",
			Detail: fmt.Sprintf("%q is not a DNS domain such as \"cluster.local\".", rc.ClusterDomain), Subject: rc.DefRange.Ptr()})
	}
	if !c.used() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Context block checks nothing",
			Detail: "Set services, workload_ips or node_addresses to true, or add an rbac block; or remove the block.", Subject: rc.DefRange.Ptr()})
	}
	return c, diags
}

// parsePolicy reads and parses a policy file with its size and nesting
// bounded, as configuration files are.
func parsePolicy(parser *hclparse.Parser, path string) (*hcl.File, hcl.Diagnostics) {
	src, diags := config.ReadSource(path)
	if !diags.HasErrors() {
		diags = config.CheckNesting(src, path)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return parser.ParseHCL(src, path)
}
