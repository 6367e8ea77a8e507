package approver

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/certform/certform/internal/pki"
)

// minRSABits is the smallest RSA key approved whatever a policy says.
const minRSABits = 2048

// rules, in the order they are checked, after possession and after
// inspect has refused whatever no rule could judge. Each returns what it
// found that is not allowed, or "".
var rules = []rule{
	{"key_algorithms", checkKey},
	{"common_names", subjectRule("common_names", func(a *Allowed) []string { return a.CommonNames })},
	{"organizations", subjectRule("organizations", func(a *Allowed) []string { return a.Organizations })},
	{"organizational_units", subjectRule("organizational_units", func(a *Allowed) []string { return a.OrganizationalUnits })},
	{"countries", subjectRule("countries", func(a *Allowed) []string { return a.Countries })},
	{"provinces", subjectRule("provinces", func(a *Allowed) []string { return a.Provinces })},
	{"localities", subjectRule("localities", func(a *Allowed) []string { return a.Localities })},
	{"street_addresses", subjectRule("street_addresses", func(a *Allowed) []string { return a.StreetAddresses })},
	{"postal_codes", subjectRule("postal_codes", func(a *Allowed) []string { return a.PostalCodes })},
	{"serial_numbers", subjectRule("serial_numbers", func(a *Allowed) []string { return a.SerialNumbers })},
	{"dns_names", checkDNSNames},
	{"ip_ranges", checkIPs},
	{"email_addresses", func(a *Allowed, r *request) string {
		return allowedAll("e-mail address", r.x509.EmailAddresses, a.EmailAddresses, 0)
	}},
	{"uris", checkURIs},
	{"usages", func(a *Allowed, r *request) string {
		for _, u := range r.csr.Spec.Usages {
			if !slices.Contains(a.Usages, string(u)) {
				return fmt.Sprintf("usage %q is not allowed (allowed: %s)", u, listOrNone(a.Usages))
			}
		}
		return ""
	}},
	{"allow_ca", func(a *Allowed, r *request) string {
		if r.ca != "" && !a.AllowCA {
			return "a CA certificate is asked for by " + r.ca + "; set allow_ca = true in a policy meant to approve CAs"
		}
		return ""
	}},
	{"max_expiration", checkLifetime},
	{"annotations", func(a *Allowed, r *request) string {
		if !a.CheckAnnotations {
			return ""
		}
		for _, k := range slices.Sorted(maps.Keys(r.csr.Annotations)) {
			if !slices.ContainsFunc(a.Annotations, func(p string) bool { return glob(p, k, 0) }) {
				return fmt.Sprintf("annotation %q is not allowed (allowed: %s)", k, listOrNone(a.Annotations))
			}
		}
		return ""
	}},
}

// rule is one named check of what a request asks for.
type rule struct {
	name  string
	check func(a *Allowed, r *request) string
}

func checkKey(a *Allowed, r *request) string {
	spec := pki.SpecOf(r.x509.PublicKey)
	if spec.Algorithm == "" {
		return fmt.Sprintf("key type %s is not one certform knows", r.x509.PublicKeyAlgorithm)
	}
	if !slices.Contains(a.KeyAlgorithms, spec.Algorithm) {
		return fmt.Sprintf("key %s is not allowed (allowed: %s)", spec, listOrNone(a.KeyAlgorithms))
	}
	switch {
	case spec.Algorithm == pki.ECDSA && !slices.Contains([]int{256, 384, 521}, spec.Size):
		return fmt.Sprintf("ecdsa key on a %d-bit curve is not allowed (P-256, P-384 and P-521 are)", spec.Size)
	case spec.Algorithm == pki.RSA && spec.Size < max(a.MinRSABits, minRSABits):
		return fmt.Sprintf("rsa key of %d bits is below min_rsa_bits %d", spec.Size, max(a.MinRSABits, minRSABits))
	}
	return ""
}

// subjectRule checks every subject attribute of one kind against its
// allow-list; an attribute no pattern matches is denied, as a SAN is.
func subjectRule(name string, allowed func(*Allowed) []string) func(*Allowed, *request) string {
	return func(a *Allowed, r *request) string {
		for _, attr := range r.subject {
			if attr.rule != name {
				continue
			}
			if why := allowedAll(attr.kind, []string{attr.value}, allowed(a), 0); why != "" {
				return why
			}
		}
		return ""
	}
}

// checkDNSNames matches names label by label; a wildcard name is allowed
// only by an entry that is exactly that name, since it stands for every
// name the entry allows.
func checkDNSNames(a *Allowed, r *request) string {
	for _, n := range r.x509.DNSNames {
		if strings.HasPrefix(n, "*.") {
			if !slices.Contains(a.DNSNames, n) {
				return fmt.Sprintf("wildcard DNS name %q is not allowed (a wildcard needs an entry that is exactly it; allowed: %s)", n, listOrNone(a.DNSNames))
			}
			continue
		}
		if why := allowedAll("DNS name", []string{n}, a.DNSNames, '.'); why != "" {
			return why
		}
	}
	return ""
}

func checkIPs(a *Allowed, r *request) string {
	for _, ip := range r.x509.IPAddresses {
		addr, _ := netip.AddrFromSlice(ip)
		addr = addr.Unmap()
		if !slices.ContainsFunc(a.IPRanges, func(p netip.Prefix) bool { return p.Contains(addr) }) {
			return fmt.Sprintf("IP address %s is in none of the allowed ranges (%s)", addr, prefixes(a.IPRanges))
		}
	}
	return ""
}

// checkURIs matches each URI by scheme, host labels and path segments,
// after refusing user info, queries, fragments and dot segments.
func checkURIs(a *Allowed, r *request) string {
	for _, u := range r.x509.URIs {
		raw := u.String()
		parsed, segments, why := uriSegments(raw)
		if why != "" {
			return fmt.Sprintf("URI %q %s, which no pattern allows", raw, why)
		}
		ok := slices.ContainsFunc(a.URIs, func(p string) bool {
			pattern, err := parseURIPattern(p)
			return err == nil && pattern.match(parsed, segments)
		})
		if !ok {
			return fmt.Sprintf("URI %q is not allowed (allowed: %s)", raw, listOrNone(a.URIs))
		}
	}
	return ""
}

// checkLifetime judges every lifetime asked for (the spec's and the
// annotation a signer prefers); with a maximum, one must be asked.
func checkLifetime(a *Allowed, r *request) string {
	if a.MaxExpiration == 0 {
		return ""
	}
	if len(r.lifetimes) == 0 {
		return fmt.Sprintf("no expirationSeconds, so the signer's default lifetime applies; ask for at most %s", a.MaxExpiration)
	}
	for _, l := range r.lifetimes {
		if l.d > a.MaxExpiration {
			return fmt.Sprintf("lifetime %s asked by %s exceeds max_expiration %s", l.d, l.from, a.MaxExpiration)
		}
	}
	return ""
}

// allowedAll reports the first value that matches none of patterns.
func allowedAll(kind string, values, patterns []string, sep byte) string {
	for _, v := range values {
		if !slices.ContainsFunc(patterns, func(p string) bool { return glob(p, v, sep) }) {
			return fmt.Sprintf("%s %q is not allowed (allowed: %s)", kind, v, listOrNone(patterns))
		}
	}
	return ""
}

func listOrNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

func prefixes(ps []netip.Prefix) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return listOrNone(s)
}
