package approver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	certv1 "k8s.io/api/certificates/v1"

	"github.com/certform/certform/internal/pki"
)

// corpusPolicy is the policy every crafted CSR of the corpus is judged by.
const corpusPolicy = `
policy "corpus" {
  signer_names = ["example.com/corpus"]
  requesters {
    groups = ["system:authenticated"]
  }
  allowed {
    common_names         = ["*.team-a.example", "web"]
    organizations        = ["team-a"]
    organizational_units = ["serving"]
    dns_names            = ["*.team-a.svc", "web.team-a.example", "*.wild.team-a.example"]
    ip_ranges            = ["10.0.0.0/8", "fd00::/8"]
    email_addresses      = ["*@team-a.example"]
    uris                 = ["https://*.team-a.example/*", "spiffe://cluster.local/ns/team-a/sa/*"]
    usages               = ["digital signature", "key encipherment", "server auth"]
    key_algorithms       = ["ecdsa", "rsa", "ed25519"]
    max_expiration       = "24h"
  }
}
`

func loadCorpusPolicy(t testing.TB) []*Policy {
	t.Helper()
	path := filepath.Join(t.TempDir(), "corpus.hcl")
	if err := os.WriteFile(path, []byte(corpusPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	policies, _, diags := Load(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return policies
}

// crafted is one CSR of the corpus: what it asks and what the approver
// must answer. want is "approve", or the rule that must deny it; found is
// the offending value the denial must quote.
type crafted struct {
	tmpl        func(*x509.CertificateRequest)
	key         func() crypto.Signer
	annotations map[string]string
	usages      []string
	expiration  int32 // 0: 3600; -1: unset
	signer      string
	want, found string
}

var (
	keyOnce  sync.Once
	ecKey    crypto.Signer
	rsaKey   crypto.Signer
	edKey    crypto.Signer
	p224Key  crypto.Signer
	rsa1kKey crypto.Signer
)

func corpusKeys() {
	keyOnce.Do(func() {
		ecKey, _ = pki.GenerateKey(pki.KeySpec{Algorithm: pki.ECDSA, Size: 256})
		rsaKey, _ = pki.GenerateKey(pki.KeySpec{Algorithm: pki.RSA, Size: 2048})
		edKey, _ = pki.GenerateKey(pki.KeySpec{Algorithm: pki.Ed25519})
		p224Key, _ = ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
		rsa1kKey, _ = rsa.GenerateKey(rand.Reader, 1024)
	})
}

// rawSAN is a SAN extension holding a DNS name and one GeneralName of tag.
func rawSAN(tag int, value []byte) pkix.Extension {
	dns := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte("web.team-a.svc")}
	other := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: tag == 0 || tag == 4, Bytes: value}
	der, err := asn1.Marshal([]asn1.RawValue{dns, other})
	if err != nil {
		panic(err)
	}
	return pkix.Extension{Id: oidSAN, Value: der}
}

func ext(oid asn1.ObjectIdentifier, v any) pkix.Extension {
	der, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return pkix.Extension{Id: oid, Value: der}
}

func dns(names ...string) func(*x509.CertificateRequest) {
	return func(r *x509.CertificateRequest) { r.DNSNames = names }
}

func uris(raw ...string) func(*x509.CertificateRequest) {
	return func(r *x509.CertificateRequest) {
		r.DNSNames = nil
		for _, s := range raw {
			u, err := url.Parse(s)
			if err != nil {
				panic(err)
			}
			r.URIs = append(r.URIs, u)
		}
	}
}

func subject(f func(*pkix.Name)) func(*x509.CertificateRequest) {
	return func(r *x509.CertificateRequest) { f(&r.Subject) }
}

// corpus is the adversarial corpus: every SAN kind, every subject
// attribute, extensions, annotations, keys and encodings.
var corpus = map[string]crafted{
	"baseline ecdsa":              {want: "approve"},
	"baseline rsa 2048":           {key: func() crypto.Signer { return rsaKey }, want: "approve"},
	"baseline ed25519":            {key: func() crypto.Signer { return edKey }, want: "approve"},
	"wildcard listed exactly":     {tmpl: dns("*.wild.team-a.example"), want: "approve"},
	"spiffe uri allowed":          {tmpl: uris("spiffe://cluster.local/ns/team-a/sa/web"), want: "approve"},
	"https uri allowed":           {tmpl: uris("https://api.team-a.example/v1"), want: "approve"},
	"ipv6 in range":               {tmpl: func(r *x509.CertificateRequest) { r.IPAddresses = []net.IP{net.ParseIP("fd00::1")} }, want: "approve"},
	"dns of another team":         {tmpl: dns("web.team-b.svc"), want: "dns_names", found: "web.team-b.svc"},
	"dns uppercase":               {tmpl: dns("WEB.team-a.svc"), want: "content", found: "WEB.team-a.svc"},
	"dns trailing dot":            {tmpl: dns("web.team-a.svc."), want: "content", found: "web.team-a.svc."},
	"dns empty label":             {tmpl: dns("web..team-a.svc"), want: "content", found: "web..team-a.svc"},
	"dns wildcard not listed":     {tmpl: dns("*.x.team-a.svc"), want: "dns_names", found: "*.x.team-a.svc"},
	"dns wildcard mid label":      {tmpl: dns("w*b.team-a.svc"), want: "content", found: "w*b.team-a.svc"},
	"dns nul byte":                {tmpl: dns("web.team-a.svc\x00.evil.example"), want: "content", found: `web.team-a.svc\x00.evil.example`},
	"ip outside ranges":           {tmpl: func(r *x509.CertificateRequest) { r.IPAddresses = []net.IP{net.ParseIP("192.168.1.1")} }, want: "ip_ranges", found: "192.168.1.1"},
	"ipv4-mapped outside":         {tmpl: func(r *x509.CertificateRequest) { r.IPAddresses = []net.IP{net.ParseIP("::ffff:192.168.1.1").To16()} }, want: "ip_ranges", found: "192.168.1.1"},
	"email of another domain":     {tmpl: func(r *x509.CertificateRequest) { r.EmailAddresses = []string{"ops@evil.example"} }, want: "email_addresses", found: "ops@evil.example"},
	"email double at":             {tmpl: func(r *x509.CertificateRequest) { r.EmailAddresses = []string{"ops@evil.example@team-a.example"} }, want: "content", found: "ops@evil.example@team-a.example"},
	"email nul byte":              {tmpl: func(r *x509.CertificateRequest) { r.EmailAddresses = []string{"ops\x00@team-a.example"} }, want: "content", found: `ops\x00@team-a.example`},
	"uri host crossing path":      {tmpl: uris("https://evil.example/.team-a.example/"), want: "uris", found: "https://evil.example/.team-a.example/"},
	"uri fragment":                {tmpl: uris("https://evil.example#.team-a.example/"), want: "uris", found: "fragment"},
	"uri userinfo":                {tmpl: uris("https://a.team-a.example@evil.example/x"), want: "uris", found: "user info"},
	"spiffe dot segments":         {tmpl: uris("spiffe://cluster.local/ns/team-a/sa/../../team-b/sa/x"), want: "uris", found: "dot segment"},
	"spiffe escaped dot segments": {tmpl: uris("spiffe://cluster.local/ns/team-a/sa/%2e%2e"), want: "uris", found: "dot segment"},
	"spiffe query":                {tmpl: uris("spiffe://cluster.local/ns/team-a/sa/x?y=1"), want: "uris", found: "query"},
	"spiffe deeper path":          {tmpl: uris("spiffe://cluster.local/ns/team-a/sa/x/y"), want: "uris", found: "spiffe://cluster.local/ns/team-a/sa/x/y"},
	"uri other scheme":            {tmpl: uris("http://a.team-a.example/x"), want: "uris", found: "http://a.team-a.example/x"},
	"common name not allowed":     {tmpl: subject(func(n *pkix.Name) { n.CommonName = "admin" }), want: "common_names", found: "admin"},
	"organization system:masters": {tmpl: subject(func(n *pkix.Name) { n.Organization = append(n.Organization, "system:masters") }), want: "organizations", found: "system:masters"},
	"organizational unit":         {tmpl: subject(func(n *pkix.Name) { n.OrganizationalUnit = []string{"cluster-admins"} }), want: "organizational_units", found: "cluster-admins"},
	"country":                     {tmpl: subject(func(n *pkix.Name) { n.Country = []string{"XX"} }), want: "countries", found: "XX"},
	"province":                    {tmpl: subject(func(n *pkix.Name) { n.Province = []string{"Nowhere"} }), want: "provinces", found: "Nowhere"},
	"locality":                    {tmpl: subject(func(n *pkix.Name) { n.Locality = []string{"evil"} }), want: "localities", found: "evil"},
	"street address":              {tmpl: subject(func(n *pkix.Name) { n.StreetAddress = []string{"1 Evil Road"} }), want: "street_addresses", found: "1 Evil Road"},
	"postal code":                 {tmpl: subject(func(n *pkix.Name) { n.PostalCode = []string{"666"} }), want: "postal_codes", found: "666"},
	"serial number":               {tmpl: subject(func(n *pkix.Name) { n.SerialNumber = "1234" }), want: "serial_numbers", found: "1234"},
	"subject e-mail attribute": {tmpl: subject(func(n *pkix.Name) {
		n.ExtraNames = []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "a@evil.example"}}
	}), want: "content", found: "1.2.840.113549.1.9.1"},
	"common name with control char": {tmpl: subject(func(n *pkix.Name) { n.CommonName = "web\x1b[2J" }), want: "content", found: "control character"},
	"otherName UPN SAN": {tmpl: func(r *x509.CertificateRequest) {
		r.DNSNames = nil
		r.ExtraExtensions = []pkix.Extension{rawSAN(0, upn())}
	}, want: "content", found: "otherName"},
	"directoryName SAN": {tmpl: func(r *x509.CertificateRequest) {
		r.DNSNames = nil
		r.ExtraExtensions = []pkix.Extension{rawSAN(4, dirName())}
	}, want: "content", found: "directoryName"},
	"registeredID SAN": {tmpl: func(r *x509.CertificateRequest) {
		r.DNSNames = nil
		r.ExtraExtensions = []pkix.Extension{rawSAN(8, []byte{0x2a, 0x03})}
	}, want: "content", found: "registeredID"},
	"basic constraints CA:TRUE":       {tmpl: withExt(ext(oidBasicConstraints, struct{ IsCA bool }{true})), want: "allow_ca", found: "CA:TRUE"},
	"key usage extension":             {tmpl: withExt(ext(asn1.ObjectIdentifier{2, 5, 29, 15}, asn1.BitString{Bytes: []byte{0x04}, BitLength: 6})), want: "content", found: "2.5.29.15"},
	"unknown extension":               {tmpl: withExt(ext(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, "x")), want: "content", found: "1.3.6.1.4.1.99999.1"},
	"ecdsa p-224":                     {key: func() crypto.Signer { return p224Key }, want: "key_algorithms", found: "224"},
	"rsa 1024":                        {key: func() crypto.Signer { return rsa1kKey }, want: "key_algorithms", found: "1024"},
	"usage client auth":               {usages: []string{"digital signature", "client auth"}, want: "usages", found: "client auth"},
	"lifetime over max":               {expiration: 25 * 3600, want: "max_expiration", found: "25h0m0s"},
	"no lifetime with a max":          {expiration: -1, want: "max_expiration", found: "no expirationSeconds"},
	"request-duration annotation":     {annotations: map[string]string{annotationDuration: "43800h"}, want: "max_expiration", found: "43800h0m0s"},
	"request-is-ca annotation":        {annotations: map[string]string{annotationIsCA: "true"}, want: "allow_ca", found: annotationIsCA},
	"request-duration malformed":      {annotations: map[string]string{annotationDuration: "forever"}, want: "content", found: "forever"},
	"unknown cert-manager annotation": {annotations: map[string]string{"experimental.cert-manager.io/private-key-secret-name": "x"}, want: "content", found: "private-key-secret-name"},
	"unrelated annotation passes":     {annotations: map[string]string{"team": "a"}, want: "approve"},
}

func withExt(e pkix.Extension) func(*x509.CertificateRequest) {
	return func(r *x509.CertificateRequest) { r.ExtraExtensions = []pkix.Extension{e} }
}

// upn is the body of an otherName holding a Microsoft UPN.
func upn() []byte {
	oid, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3})
	val, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: mustMarshal("admin@corp.example")})
	return append(oid, val...)
}

func dirName() []byte {
	rdn, _ := asn1.Marshal(pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}}.ToRDNSequence())
	return rdn
}

func mustMarshal(v any) []byte {
	der, err := asn1.MarshalWithParams(v, "utf8")
	if err != nil {
		panic(err)
	}
	return der
}

// build makes the CSR object c describes.
func (c crafted) build(t testing.TB, name string) *certv1.CertificateSigningRequest {
	t.Helper()
	corpusKeys()
	tmpl := &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: "web", Organization: []string{"team-a"}, OrganizationalUnit: []string{"serving"}},
		DNSNames: []string{"web.team-a.svc"},
	}
	if c.tmpl != nil {
		c.tmpl(tmpl)
	}
	key := ecKey
	if c.key != nil {
		key = c.key()
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	csr := &certv1.CertificateSigningRequest{}
	csr.Name = name
	csr.Annotations = c.annotations
	signer := c.signer
	if signer == "" {
		signer = "example.com/corpus"
	}
	csr.Spec = certv1.CertificateSigningRequestSpec{
		Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
		SignerName: signer, Username: "someone", Groups: []string{"system:authenticated"},
	}
	usages := c.usages
	if usages == nil {
		usages = []string{"digital signature", "server auth"}
	}
	for _, u := range usages {
		csr.Spec.Usages = append(csr.Spec.Usages, certv1.KeyUsage(u))
	}
	switch exp := c.expiration; {
	case exp == 0:
		exp = 3600
		csr.Spec.ExpirationSeconds = &exp
	case exp > 0:
		csr.Spec.ExpirationSeconds = &exp
	}
	return csr
}

// checkCorpusDecision fails t unless d is what c wants.
func checkCorpusDecision(t testing.TB, c crafted, d Decision) {
	t.Helper()
	if c.want == "approve" {
		if d.Verdict != Approve {
			t.Errorf("want approve, got %s: %s", d.Verdict, d.Message)
		}
		return
	}
	if d.Verdict != Deny || d.Rule != c.want {
		t.Errorf("want deny by rule %s, got %s (rule %q): %s", c.want, d.Verdict, d.Rule, d.Message)
	}
	if !strings.Contains(d.Message, c.want+":") || !strings.Contains(d.Message, c.found) {
		t.Errorf("message %q does not name rule %s and the value %q", d.Message, c.want, c.found)
	}
}

func TestCorpus(t *testing.T) {
	policies := loadCorpusPolicy(t)
	for name, c := range corpus {
		t.Run(name, func(t *testing.T) {
			checkCorpusDecision(t, c, Decide(c.build(t, "x"), policies))
		})
	}
	if n := len(corpus); n < 42 {
		t.Errorf("corpus holds %d CSRs, want at least 42", n)
	}
}
