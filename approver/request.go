package approver

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	certv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Annotations that cert-manager's CSR signers read. They change what is
// issued, so they are part of the request the approver judges.
const (
	annotationDuration = "experimental.cert-manager.io/request-duration"
	annotationIsCA     = "experimental.cert-manager.io/request-is-ca"
)

// signerAnnotationDomains are annotation domains whose keys a signer may act
// on; a key under one of them that the approver does not know is denied,
// since nothing says what it would make the signer do.
var signerAnnotationDomains = []string{"cert-manager.io"}

// request is everything a CSR asks a signer for, as the signer will read
// it: the PKCS#10 request, its spec and its annotations. Rules judge this,
// never the raw object, so a field is either understood here or refused.
type request struct {
	csr  *certv1.CertificateSigningRequest
	x509 *x509.CertificateRequest
	// subject holds every attribute of the subject, in order, by the rule
	// that allows it.
	subject []subjectAttr
	// lifetimes are the lifetimes asked for, with where each was asked.
	lifetimes []lifetime
	// ca says where a CA certificate was asked for; "" when it was not.
	ca string
}

type subjectAttr struct {
	rule, kind, value string
}

type lifetime struct {
	d    time.Duration
	from string
}

// subjectKinds maps the attribute types a policy can allow to their rule
// and name; any other attribute type is refused.
var subjectKinds = map[string][2]string{
	"2.5.4.3":  {"common_names", "common name"},
	"2.5.4.10": {"organizations", "organization"},
	"2.5.4.11": {"organizational_units", "organizational unit"},
	"2.5.4.6":  {"countries", "country"},
	"2.5.4.8":  {"provinces", "province"},
	"2.5.4.7":  {"localities", "locality"},
	"2.5.4.9":  {"street_addresses", "street address"},
	"2.5.4.17": {"postal_codes", "postal code"},
	"2.5.4.5":  {"serial_numbers", "serial number"},
}

var (
	oidSAN              = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
)

// inspect reads csr and its parsed request into a request, or says what
// in it no policy can express (the reason is the denial's detail).
func inspect(csr *certv1.CertificateSigningRequest, req *x509.CertificateRequest) (*request, string) {
	r := &request{csr: csr, x509: req}
	for _, check := range []func() string{r.readSubject, r.readExtensions, r.readNames, r.readAnnotations} {
		if why := check(); why != "" {
			return nil, why
		}
	}
	if csr.Spec.ExpirationSeconds != nil {
		r.lifetimes = append(r.lifetimes, lifetime{time.Duration(*csr.Spec.ExpirationSeconds) * time.Second, "spec.expirationSeconds"})
	}
	return r, ""
}

func (r *request) readSubject() string {
	for _, atv := range r.x509.Subject.Names {
		kind, ok := subjectKinds[atv.Type.String()]
		if !ok {
			return fmt.Sprintf("subject attribute %s is not one a policy can allow", atv.Type)
		}
		v, ok := atv.Value.(string)
		if !ok {
			return fmt.Sprintf("subject %s is not a string", kind[1])
		}
		if why := badText(v); why != "" {
			return fmt.Sprintf("subject %s %q %s", kind[1], v, why)
		}
		r.subject = append(r.subject, subjectAttr{rule: kind[0], kind: kind[1], value: v})
	}
	return ""
}

// readExtensions refuses every requested extension but the subject
// alternative names and a basic constraints of CA:FALSE, and every SAN kind
// but DNS, IP, e-mail and URI (Go's parser drops the others silently).
func (r *request) readExtensions() string {
	for _, ext := range r.x509.Extensions {
		switch {
		case ext.Id.Equal(oidSAN):
			if why := sanKinds(ext.Value); why != "" {
				return why
			}
		case ext.Id.Equal(oidBasicConstraints):
			var bc struct {
				IsCA       bool `asn1:"optional"`
				MaxPathLen int  `asn1:"optional,default:-1"`
			}
			if rest, err := asn1.Unmarshal(ext.Value, &bc); err != nil || len(rest) > 0 {
				return "the basic constraints extension does not parse"
			}
			if bc.IsCA {
				r.ca = "a basic constraints extension with CA:TRUE"
			}
		default:
			return fmt.Sprintf("requested extension %s is not one a policy can allow", ext.Id)
		}
	}
	return ""
}

// sanKinds walks the GeneralNames of a SAN extension and refuses the kinds
// a policy cannot express: otherName, x400Address, directoryName,
// ediPartyName and registeredID.
func sanKinds(der []byte) string {
	var seq asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) > 0 || !seq.IsCompound || seq.Tag != asn1.TagSequence {
		return "the subject alternative names do not parse"
	}
	names := map[int]string{0: "otherName", 3: "x400Address", 4: "directoryName", 5: "ediPartyName", 8: "registeredID"}
	for rest := seq.Bytes; len(rest) > 0; {
		var gn asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &gn); err != nil {
			return "the subject alternative names do not parse"
		}
		if kind, bad := names[gn.Tag]; bad || gn.Class != asn1.ClassContextSpecific {
			if !bad {
				kind = "tag " + strconv.Itoa(gn.Tag)
			}
			return fmt.Sprintf("subject alternative name of kind %s is not one a policy can allow", kind)
		}
	}
	return ""
}

// readNames refuses names that are not what they look like: DNS names that
// are not lowercase RFC 1123 names (a wildcard only as a whole leftmost
// label), e-mail addresses without exactly one "@", control characters.
func (r *request) readNames() string {
	for _, n := range r.x509.DNSNames {
		if why := badDNSName(n); why != "" {
			return fmt.Sprintf("DNS name %q %s", n, why)
		}
	}
	for _, e := range r.x509.EmailAddresses {
		local, domain, ok := strings.Cut(e, "@")
		if why := badText(e); why != "" {
			return fmt.Sprintf("e-mail address %q %s", e, why)
		}
		if !ok || local == "" || strings.Contains(domain, "@") || strings.ContainsAny(local, " \"\\") || badDNSName(domain) != "" || strings.HasPrefix(domain, "*") {
			return fmt.Sprintf("e-mail address %q is not a plain address user@domain", e)
		}
	}
	for _, ip := range r.x509.IPAddresses {
		if _, ok := netip.AddrFromSlice(ip); !ok {
			return fmt.Sprintf("IP address %v does not parse", ip)
		}
	}
	return ""
}

func badDNSName(n string) string {
	if why := badText(n); why != "" {
		return why
	}
	if n != strings.ToLower(n) || strings.HasSuffix(n, ".") {
		return "is not in canonical form (lowercase, no trailing dot)"
	}
	name := strings.TrimPrefix(n, "*.")
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 || strings.Count(name, ".") == 0 && name != n {
		return "is not a valid DNS name (" + strings.Join(errs, "; ") + ")"
	}
	return ""
}

// badText refuses invalid UTF-8 and control characters, NUL included.
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if hasControl(s) {
		return "holds a control character"
	}
	return ""
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// readAnnotations evaluates the annotations signers act on and refuses the
// ones under a signer's domain that the approver does not understand.
func (r *request) readAnnotations() string {
	for _, k := range slices.Sorted(maps.Keys(r.csr.Annotations)) {
		v := r.csr.Annotations[k]
		switch k {
		case annotationDuration:
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Sprintf("annotation %s=%q is not a positive duration", k, v)
			}
			r.lifetimes = append(r.lifetimes, lifetime{d, "annotation " + k})
		case annotationIsCA:
			if v == "true" {
				r.ca = "annotation " + k + "=\"true\""
			}
		default:
			for _, domain := range signerAnnotationDomains {
				if prefix, _, ok := strings.Cut(k, "/"); ok && (prefix == domain || strings.HasSuffix(prefix, "."+domain)) {
					return fmt.Sprintf("annotation %s is read by a signer and not understood by this approver", k)
				}
			}
		}
	}
	return ""
}
