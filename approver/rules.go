package approver

import (
	"crypto/x509"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	certv1 "k8s.io/api/certificates/v1"

	"github.com/certform/certform/internal/pki"
)

// rules, in the order they are checked. Possession comes first: without it
// nothing else the request says can be trusted.
var rules = []rule{
	{"possession", func(_ *Allowed, _ *certv1.CertificateSigningRequest, req *x509.CertificateRequest) string {
		if err := req.CheckSignature(); err != nil {
			return "the request's signature does not verify, so the requester has not shown it holds the key"
		}
		return ""
	}},
	{"key_algorithms", func(a *Allowed, _ *certv1.CertificateSigningRequest, req *x509.CertificateRequest) string {
		spec := pki.SpecOf(req.PublicKey)
		if !slices.Contains(a.KeyAlgorithms, spec.Algorithm) {
			return fmt.Sprintf("key %s is not allowed (allowed: %s)", spec, listOrNone(a.KeyAlgorithms))
		}
		if spec.Algorithm == pki.RSA && spec.Size < a.MinRSABits {
			return fmt.Sprintf("rsa key of %d bits is below min_rsa_bits %d", spec.Size, a.MinRSABits)
		}
		return ""
	}},
	{"common_names", func(a *Allowed, _ *certv1.CertificateSigningRequest, req *x509.CertificateRequest) string {
		return allowedAll("common name", nonEmpty(req.Subject.CommonName), a.CommonNames, 0)
	}},
	{"organizations", func(a *Allowed, _ *certv1.CertificateSigningRequest, req *x509.CertificateRequest) string {
		return allowedAll("organization", req.Subject.Organization, a.Organizations, 0)
	}},
	{"dns_names", func(a *Allowed, _ *certv1.CertificateSigningRequest, req *x509.CertificateRequest) string {
		return allowedAll("DNS name", req.DNSNames, a.DNSNames, '.')
	}},
	{"ip_ranges", func(a *Allowed, _ *certv1.CertificateSigningRequest, req *x509.CertificateRequest) string {
		for _, ip := range req.IPAddresses {
			addr, _ := netip.AddrFromSlice(ip)
			addr = addr.Unmap()
			if !slices.ContainsFunc(a.IPRanges, func(p netip.Prefix) bool { return p.Contains(addr) }) {
				return fmt.Sprintf("IP address %s is in none of the allowed ranges (%s)", addr, prefixes(a.IPRanges))
			}
		}
		return ""
	}},
	{"email_addresses", func(a *Allowed, _ *certv1.CertificateSigningRequest, req *x509.CertificateRequest) string {
		return allowedAll("e-mail address", req.EmailAddresses, a.EmailAddresses, 0)
	}},
	{"uris", func(a *Allowed, _ *certv1.CertificateSigningRequest, req *x509.CertificateRequest) string {
		var uris []string
		for _, u := range req.URIs {
			uris = append(uris, u.String())
		}
		return allowedAll("URI", uris, a.URIs, 0)
	}},
	{"usages", func(a *Allowed, csr *certv1.CertificateSigningRequest, _ *x509.CertificateRequest) string {
		for _, u := range csr.Spec.Usages {
			if !slices.Contains(a.Usages, string(u)) {
				return fmt.Sprintf("usage %q is not allowed (allowed: %s)", u, listOrNone(a.Usages))
			}
		}
		return ""
	}},
	{"max_expiration", func(a *Allowed, csr *certv1.CertificateSigningRequest, _ *x509.CertificateRequest) string {
		if a.MaxExpiration == 0 {
			return ""
		}
		if csr.Spec.ExpirationSeconds == nil {
			return fmt.Sprintf("no expirationSeconds, so the signer's default lifetime applies; ask for at most %s", a.MaxExpiration)
		}
		if d := time.Duration(*csr.Spec.ExpirationSeconds) * time.Second; d > a.MaxExpiration {
			return fmt.Sprintf("lifetime %s exceeds max_expiration %s", d, a.MaxExpiration)
		}
		return ""
	}},
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

// glob matches s against pattern, where "*" stands for any run of
// characters other than sep (any run at all when sep is 0).
func glob(pattern, s string, sep byte) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == s
	}
	prefix, rest := pattern[:star], pattern[star+1:]
	if !strings.HasPrefix(s, prefix) {
		return false
	}
	s = s[len(prefix):]
	for i := 0; i <= len(s); i++ {
		if glob(rest, s[i:], sep) {
			return true
		}
		if i < len(s) && sep != 0 && s[i] == sep {
			return false
		}
	}
	return false
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
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
