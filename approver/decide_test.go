package approver

import (
	"crypto/x509/pkix"
	"encoding/pem"
	"net/netip"
	"strings"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/certform/certform/internal/pki"
)

// req describes a CSR for the table below.
type req struct {
	signer     string
	user       string
	groups     []string
	key        pki.KeySpec
	cn         string
	orgs       []string
	hosts      []string
	usages     []string
	expiration int32 // 0: unset
	forge      bool  // break the request's signature
	decided    bool  // already approved
}

func (r req) csr(t *testing.T) *certv1.CertificateSigningRequest {
	t.Helper()
	if r.key.Algorithm == "" {
		r.key = pki.KeySpec{Algorithm: pki.ECDSA, Size: 256}
	}
	key, err := pki.GenerateKey(r.key)
	if err != nil {
		t.Fatal(err)
	}
	data, err := pki.CreateCSR(key, pki.Request{Subject: pkix.Name{CommonName: r.cn, Organization: r.orgs}, Hosts: r.hosts})
	if err != nil {
		t.Fatal(err)
	}
	if r.forge {
		block, _ := pem.Decode(data)
		block.Bytes[len(block.Bytes)-3] ^= 0xff // inside the signature
		data = pem.EncodeToMemory(block)
	}
	csr := &certv1.CertificateSigningRequest{}
	csr.Name = "test"
	csr.Spec = certv1.CertificateSigningRequestSpec{Request: data, SignerName: r.signer, Username: r.user, Groups: r.groups}
	for _, u := range r.usages {
		csr.Spec.Usages = append(csr.Spec.Usages, certv1.KeyUsage(u))
	}
	if r.expiration > 0 {
		csr.Spec.ExpirationSeconds = &r.expiration
	}
	if r.decided {
		csr.Status.Conditions = []certv1.CertificateSigningRequestCondition{{Type: certv1.CertificateApproved, Status: corev1.ConditionTrue}}
	}
	return csr
}

var teamA = &Policy{
	Name:        "team-a",
	SignerNames: []string{"example.com/serving"},
	Requesters:  Requesters{Users: []string{"alice"}, Groups: []string{"team-a"}, ServiceAccounts: []string{"team-a:*"}},
	Allowed: Allowed{
		DNSNames:       []string{"*.team-a.svc", "team-a.example"},
		IPRanges:       []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		EmailAddresses: []string{"*@team-a.example"},
		URIs:           []string{"spiffe://cluster/ns/team-a/**"},
		CommonNames:    []string{"*"},
		Organizations:  []string{"team-a"},
		Usages:         []string{"digital signature", "server auth"},
		KeyAlgorithms:  []string{"ecdsa", "rsa"},
		MinRSABits:     3072,
		MaxExpiration:  24 * time.Hour,
	},
}

func good() req {
	return req{signer: "example.com/serving", user: "alice", cn: "web", orgs: []string{"team-a"},
		hosts: []string{"web.team-a.svc", "10.1.2.3"}, usages: []string{"digital signature", "server auth"}, expiration: 3600}
}

func TestDecide(t *testing.T) {
	tests := map[string]struct {
		tweak    func(*req)
		verdict  Verdict
		rule     string
		contains string
	}{
		"all allowed":                        {tweak: func(*req) {}, verdict: Approve},
		"requester by group":                 {tweak: func(r *req) { r.user, r.groups = "bob", []string{"team-a"} }, verdict: Approve},
		"requester by service account":       {tweak: func(r *req) { r.user = "system:serviceaccount:team-a:builder" }, verdict: Approve},
		"requester not listed":               {tweak: func(r *req) { r.user = "mallory" }, verdict: Skip, contains: "no policy applies"},
		"service account of another team":    {tweak: func(r *req) { r.user = "system:serviceaccount:team-b:builder" }, verdict: Skip},
		"signer not listed":                  {tweak: func(r *req) { r.signer = "example.com/other" }, verdict: Skip},
		"already decided":                    {tweak: func(r *req) { r.decided = true }, verdict: Skip, contains: "already decided"},
		"forged signature":                   {tweak: func(r *req) { r.forge = true }, verdict: Deny, rule: "possession"},
		"ed25519 key not allowed":            {tweak: func(r *req) { r.key = pki.KeySpec{Algorithm: pki.Ed25519} }, verdict: Deny, rule: "key_algorithms"},
		"rsa key large enough":               {tweak: func(r *req) { r.key = pki.KeySpec{Algorithm: pki.RSA, Size: 3072} }, verdict: Approve},
		"rsa key too small":                  {tweak: func(r *req) { r.key = pki.KeySpec{Algorithm: pki.RSA, Size: 2048} }, verdict: Deny, rule: "key_algorithms", contains: "below min_rsa_bits 3072"},
		"organization not allowed":           {tweak: func(r *req) { r.orgs = []string{"team-b"} }, verdict: Deny, rule: "organizations"},
		"dns name allowed exactly":           {tweak: func(r *req) { r.hosts = []string{"team-a.example"} }, verdict: Approve},
		"dns wildcard spans one label only":  {tweak: func(r *req) { r.hosts = []string{"a.b.team-a.svc"} }, verdict: Deny, rule: "dns_names"},
		"dns name of another team":           {tweak: func(r *req) { r.hosts = []string{"web.team-b.svc"} }, verdict: Deny, rule: "dns_names", contains: `DNS name "web.team-b.svc" is not allowed`},
		"ip outside ranges":                  {tweak: func(r *req) { r.hosts = []string{"192.168.1.1"} }, verdict: Deny, rule: "ip_ranges"},
		"email allowed":                      {tweak: func(r *req) { r.hosts = []string{"ops@team-a.example"} }, verdict: Approve},
		"email not allowed":                  {tweak: func(r *req) { r.hosts = []string{"ops@evil.example"} }, verdict: Deny, rule: "email_addresses"},
		"uri allowed":                        {tweak: func(r *req) { r.hosts = []string{"spiffe://cluster/ns/team-a/sa/web"} }, verdict: Approve},
		"uri not allowed":                    {tweak: func(r *req) { r.hosts = []string{"spiffe://cluster/ns/team-b/sa/web"} }, verdict: Deny, rule: "uris"},
		"usage not allowed":                  {tweak: func(r *req) { r.usages = append(r.usages, "client auth") }, verdict: Deny, rule: "usages"},
		"lifetime within max":                {tweak: func(r *req) { r.expiration = 86400 }, verdict: Approve},
		"lifetime over max":                  {tweak: func(r *req) { r.expiration = 86401 }, verdict: Deny, rule: "max_expiration"},
		"signer default lifetime with a max": {tweak: func(r *req) { r.expiration = 0 }, verdict: Deny, rule: "max_expiration"},
		"empty common name needs no pattern": {tweak: func(r *req) { r.cn = "" }, verdict: Approve},
		"no organization asked":              {tweak: func(r *req) { r.orgs = nil }, verdict: Approve},
		"first failed rule is the one named": {tweak: func(r *req) { r.orgs, r.usages = []string{"x"}, []string{"client auth"} }, verdict: Deny, rule: "organizations"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := good()
			tc.tweak(&r)
			d := Decide(r.csr(t), []*Policy{teamA})
			if d.Verdict != tc.verdict || d.Rule != tc.rule {
				t.Fatalf("decision = %s (rule %q): %s; want %s (rule %q)", d.Verdict, d.Rule, d.Message, tc.verdict, tc.rule)
			}
			if tc.verdict == Deny && !strings.Contains(d.Message, `certform policy "team-a": `+tc.rule+":") {
				t.Errorf("denial message %q does not name the policy and rule", d.Message)
			}
			if d.Decided != (name == "already decided") {
				t.Errorf("Decided = %v", d.Decided)
			}
			if !strings.Contains(d.Message, tc.contains) {
				t.Errorf("message %q lacks %q", d.Message, tc.contains)
			}
		})
	}
}

// TestDecideSecondPolicyApproves: when one matching policy denies and a
// later one allows, the CSR is approved by the later one.
func TestDecideSecondPolicyApproves(t *testing.T) {
	strict := *teamA
	strict.Name, strict.Allowed.DNSNames = "strict", []string{"only.example"}
	d := Decide(good().csr(t), []*Policy{&strict, teamA})
	if d.Verdict != Approve || d.Policy != "team-a" || len(d.Trace) != 2 {
		t.Errorf("decision = %+v", d)
	}
}

func TestGlob(t *testing.T) {
	tests := map[string]struct {
		pattern, s string
		sep        byte
		want       bool
	}{
		"exact":                 {"a.b", "a.b", '.', true},
		"label wildcard":        {"*.b", "a.b", '.', true},
		"not across separators": {"*.b", "x.a.b", '.', false},
		"any run":               {"system:node:*", "system:node:a.b.c", 0, true},
		"middle":                {"a*c", "abbbc", 0, true},
		"no match":              {"a*c", "abd", 0, false},
		"empty star":            {"a*", "a", '.', true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := glob(tc.pattern, tc.s, tc.sep); got != tc.want {
				t.Errorf("glob(%q, %q) = %v", tc.pattern, tc.s, got)
			}
		})
	}
}
