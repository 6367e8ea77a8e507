package approver

import (
	"fmt"
	"slices"
	"strings"

	certv1 "k8s.io/api/certificates/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
)

// Verdict is what to do with a CSR.
type Verdict string

// Verdicts.
const (
	Approve Verdict = "approve"
	Deny    Verdict = "deny"
	Skip    Verdict = "skip" // no policy speaks for it, or it is decided already
)

// Decision is Decide's answer, with what it was based on.
type Decision struct {
	CSR     string
	Verdict Verdict
	Policy  string // the policy that approved, or whose first failed rule denied
	Rule    string // the failed rule, when denied
	Message string // for the condition and for people; never matched on
	// Decided is set when the CSR was approved, denied or failed already,
	// so there is nothing to decide (or report).
	Decided bool
	// Trace explains every policy's evaluation, for approve --explain.
	Trace []string
}

// Decide evaluates csr against policies. A CSR that is already approved,
// denied or failed is skipped. The possession check comes first: a request
// whose signature does not verify is denied by any policy that speaks for
// its signer and requester. Among the policies that match, the first that
// allows everything approves; if none does, the first one's first failed
// rule is the reason for the denial.
func Decide(csr *certv1.CertificateSigningRequest, policies []*Policy) Decision {
	d := Decision{CSR: csr.Name, Verdict: Skip}
	if _, refused := kube.Refusal(csr); refused || kube.IsApproved(csr) {
		d.Message, d.Decided = "already decided", true
		return d
	}
	var denial *Decision
	// The request is read, its signature checked and its content judged
	// once, when the first policy applies; every policy then judges that.
	var (
		req                *request
		read               bool
		badRule, badDetail string
	)
	for _, p := range policies {
		if why := p.speaksFor(csr); why != "" {
			d.Trace = append(d.Trace, fmt.Sprintf("policy %q does not apply: %s", p.Name, why))
			continue
		}
		if !read {
			req, badRule, badDetail = readRequest(csr)
			read = true
		}
		rule, detail := badRule, badDetail
		if rule == "" {
			rule, detail = p.check(req)
		}
		if rule == "" {
			d.Trace = append(d.Trace, fmt.Sprintf("policy %q applies and allows everything asked", p.Name))
			d.Verdict, d.Policy = Approve, p.Name
			d.Message = fmt.Sprintf("approved by certform policy %q", p.Name)
			return d
		}
		d.Trace = append(d.Trace, fmt.Sprintf("policy %q applies and denies: %s: %s", p.Name, rule, detail))
		if denial == nil {
			denial = &Decision{Verdict: Deny, Policy: p.Name, Rule: rule,
				Message: fmt.Sprintf("denied by certform policy %q: %s: %s", p.Name, rule, detail)}
		}
	}
	if denial != nil {
		denial.CSR, denial.Trace = d.CSR, d.Trace
		return *denial
	}
	d.Message = "no policy applies to this signer and requester"
	return d
}

// speaksFor returns why p does not apply to csr, or "" when it does.
func (p *Policy) speaksFor(csr *certv1.CertificateSigningRequest) string {
	if !slices.Contains(p.SignerNames, csr.Spec.SignerName) {
		return "signer " + csr.Spec.SignerName + " is not listed"
	}
	r := p.Requesters
	if slices.Contains(r.Users, csr.Spec.Username) {
		return ""
	}
	for _, g := range csr.Spec.Groups {
		if slices.Contains(r.Groups, g) {
			return ""
		}
	}
	if sa, ok := strings.CutPrefix(csr.Spec.Username, "system:serviceaccount:"); ok {
		for _, pattern := range r.ServiceAccounts {
			if glob(pattern, sa, ':') {
				return ""
			}
		}
	}
	return fmt.Sprintf("requester %q (groups %s) is not listed", csr.Spec.Username, strings.Join(csr.Spec.Groups, ", "))
}

// readRequest parses csr's request and returns it as a request, or the
// rule that refuses it whatever the policy: possession first (without it
// nothing else the request says can be trusted), then content (anything no
// rule can judge).
func readRequest(csr *certv1.CertificateSigningRequest) (r *request, rule, detail string) {
	req, err := pki.ParseCSRPEM(csr.Spec.Request)
	if err != nil {
		return nil, "request", "the request does not parse: " + err.Error()
	}
	if err := req.CheckSignature(); err != nil {
		return nil, "possession", "the request's signature does not verify, so the requester has not shown it holds the key"
	}
	r, why := inspect(csr, req)
	if why != "" {
		return nil, "content", why
	}
	return r, "", ""
}

// check runs the rules in order and returns the first that fails, with
// what it found; "" when everything asked is allowed.
func (p *Policy) check(r *request) (rule, detail string) {
	for _, rl := range rules {
		if detail := rl.check(&p.Allowed, r); detail != "" {
			return rl.name, detail
		}
	}
	return "", ""
}
