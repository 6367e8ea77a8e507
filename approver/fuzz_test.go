package approver

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net"
	"net/url"
	"regexp"
	"strings"
	"testing"

	certv1 "k8s.io/api/certificates/v1"
)

// backtrackingGlob is the matcher the approver used to have, obviously
// right: at each star, every way to go on is tried. The linear one is
// fuzzed against it. Memoized on (pattern offset, string offset) it
// tries each pair once, O(len(pattern)·len(s)²) in all; plain, it was
// exponential in the stars, and near the fuzz target's old bounds one
// input could hold a worker for most of a minute's run.
func backtrackingGlob(pattern, s string, sep byte) bool {
	memo := map[[2]int]bool{}
	var match func(pi, si int) bool
	match = func(pi, si int) bool {
		if r, ok := memo[[2]int{pi, si}]; ok {
			return r
		}
		p, rest := pattern[pi:], s[si:]
		r := false
		if star := strings.IndexByte(p, '*'); star < 0 {
			r = p == rest
		} else if strings.HasPrefix(rest, p[:star]) {
			for i := star; i <= len(rest); i++ {
				if match(pi+star+1, si+i) {
					r = true
					break
				}
				if i < len(rest) && sep != 0 && rest[i] == sep {
					break
				}
			}
		}
		memo[[2]int{pi, si}] = r
		return r
	}
	return match(0, 0)
}

func FuzzGlob(f *testing.F) {
	f.Add("*.team-a.svc", "web.team-a.svc", true)
	f.Add("a*b*c", "aXbYc", false)
	f.Add("**.*", "a.b", true)
	f.Fuzz(func(t *testing.T, pattern, s string, dot bool) {
		if len(pattern) > 64 || len(s) > 256 {
			return // the reference is cubic
		}
		var sep byte
		if dot {
			sep = '.'
		}
		if got, want := glob(pattern, s, sep), backtrackingGlob(pattern, s, sep); got != want {
			t.Fatalf("glob(%q, %q, %q) = %v, reference says %v", pattern, s, sep, got, want)
		}
		steps := 0
		globSteps(pattern, s, &steps)
		if bound := 4 * (len(pattern) + len(s)); steps > bound {
			t.Fatalf("globSteps(%q, %q) took %d steps, more than %d", pattern, s, steps, bound)
		}
	})
}

// TestGlobLinear: patterns and strings chosen to make a backtracking
// matcher (or a naive substring search) take O(n^k) or O(n*m) steps cost
// the matcher a small multiple of their length; steps are counted, not
// timed. The old matcher took O(n^k) on the first.
func TestGlobLinear(t *testing.T) {
	a := strings.Repeat("a", 20_000)
	cases := map[string]struct{ pattern, s string }{
		"many stars, no match":              {strings.Repeat("*a", 30) + "b", a},
		"long piece almost everywhere":      {"*" + strings.Repeat("a", 5_000) + "b*", a},
		"self-overlapping pieces":           {"*" + strings.Repeat("ab", 1_000) + "c*" + "d", strings.Repeat("ab", 10_000)},
		"stars and a match at the very end": {strings.Repeat("*a", 100) + "*b", a + "b"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			steps := 0
			globSteps(tc.pattern, tc.s, &steps)
			if bound := 4 * (len(tc.pattern) + len(tc.s)); steps > bound {
				t.Errorf("%d steps for a pattern of %d and a string of %d characters, more than %d", steps, len(tc.pattern), len(tc.s), bound)
			}
			if got, want := globPart(tc.pattern, tc.s), strings.HasSuffix(name, "end"); got != want {
				t.Errorf("globPart = %v, want %v", got, want)
			}
		})
	}
}

// fuzzPolicy allows a little of everything, so approvals happen.
var fuzzPolicy = &Policy{
	Name:        "fuzz",
	SignerNames: []string{"example.com/fuzz"},
	Requesters:  Requesters{Users: []string{"u"}},
	Allowed: Allowed{
		DNSNames:       []string{"*.a.example", "b.example"},
		EmailAddresses: []string{"*@a.example"},
		URIs:           []string{"spiffe://a.example/ns/*/sa/*", "https://*.a.example/**"},
		CommonNames:    []string{"web*"},
		Organizations:  []string{"a"},
		Usages:         []string{"server auth"},
		KeyAlgorithms:  []string{"ecdsa"},
	},
}

// FuzzApprovedMeansAllowed builds CSRs from fuzzed names; whenever the
// approver approves one, an independent literal check of the request
// against the allow-lists (regular expressions, Go's own parsers) must
// agree that everything in it is allowed.
func FuzzApprovedMeansAllowed(f *testing.F) {
	f.Add("web", "a", "x.a.example", "ops@a.example", "spiffe://a.example/ns/x/sa/y", "", "")
	f.Add("web", "a", "*.a.example", "a@b@a.example", "https://evil.example/.a.example/", "OU", "v")
	f.Add("webx", "a", "b.example", "", "spiffe://a.example/ns/x/sa/%2e%2e", "", "")
	corpusKeys()
	f.Fuzz(func(t *testing.T, cn, org, dnsName, email, uri, extraType, extraValue string) {
		tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}
		if org != "" {
			tmpl.Subject.Organization = []string{org}
		}
		if extraType == "OU" {
			tmpl.Subject.OrganizationalUnit = []string{extraValue}
		}
		if dnsName != "" {
			tmpl.DNSNames = []string{dnsName}
		}
		if email != "" {
			tmpl.EmailAddresses = []string{email}
		}
		if u, err := url.Parse(uri); err == nil && uri != "" {
			tmpl.URIs = []*url.URL{u}
		}
		der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, ecKey)
		if err != nil {
			return
		}
		csr := &certv1.CertificateSigningRequest{Spec: certv1.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: "example.com/fuzz", Username: "u", Usages: []certv1.KeyUsage{"server auth"},
		}}
		if d := Decide(csr, []*Policy{fuzzPolicy}); d.Verdict == Approve {
			if why := referenceCheck(der); why != "" {
				t.Fatalf("approved, but %s", why)
			}
		}
	})
}

var (
	refDNS   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.a\.example|b\.example|\*\.a\.example)$`)
	refEmail = regexp.MustCompile(`^[^@\x00-\x1f\x7f]+@a\.example$`)
	refURI   = []*regexp.Regexp{
		regexp.MustCompile(`^spiffe://a\.example/ns/[^/]*/sa/[^/]*$`),
		regexp.MustCompile(`^https://[^./]*\.a\.example(/[^/]*)*$`),
	}
	refCN = regexp.MustCompile(`^web.*$`)
)

// referenceCheck is the literal re-check: every field of the parsed
// request, compared with the allow-lists as regular expressions.
func referenceCheck(der []byte) string {
	req, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return "the request does not parse: " + err.Error()
	}
	for _, atv := range req.Subject.Names {
		v, _ := atv.Value.(string)
		switch atv.Type.String() {
		case "2.5.4.3":
			if !refCN.MatchString(v) || strings.ContainsAny(v, "\x00\n") {
				return "common name " + v
			}
		case "2.5.4.10":
			if v != "a" {
				return "organization " + v
			}
		default:
			return "subject attribute " + atv.Type.String()
		}
	}
	for _, e := range req.Extensions {
		if !e.Id.Equal(oidSAN) {
			return "extension " + e.Id.String()
		}
	}
	for _, n := range req.DNSNames {
		if !refDNS.MatchString(n) {
			return "DNS name " + n
		}
	}
	for _, e := range req.EmailAddresses {
		if !refEmail.MatchString(e) || strings.Count(e, "@") != 1 {
			return "e-mail " + e
		}
	}
	for _, u := range req.URIs {
		s := u.String()
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Contains(s, "#") || strings.Contains(s, "?") {
			return "URI with user, query or fragment " + s
		}
		for _, seg := range strings.Split(u.EscapedPath(), "/") {
			if dec, _ := url.PathUnescape(seg); dec == "." || dec == ".." || strings.Contains(dec, "/") {
				return "URI with dot segment " + s
			}
		}
		ok := false
		for _, re := range refURI {
			ok = ok || re.MatchString(s)
		}
		if !ok {
			return "URI " + s
		}
	}
	if len(req.IPAddresses) > 0 {
		return "IP " + net.IP(req.IPAddresses[0]).String()
	}
	return ""
}
