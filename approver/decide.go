package approver

import (
	"context"
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

// Decide evaluates csr against policies that need no cluster: DecideIn
// without a ClusterView. A policy with context rules makes it an error.
func Decide(csr *certv1.CertificateSigningRequest, policies []*Policy) Decision {
	d, err := DecideIn(context.Background(), csr, policies, nil, false)
	if err != nil {
		d.Verdict, d.Message = Skip, err.Error()
	}
	return d
}

// DecideIn evaluates csr against policies, reading the cluster through v
// for context rules. A CSR that is already approved, denied or failed is
// skipped. The possession check comes first: a request whose signature
// does not verify is denied by any policy that speaks for its signer and
// requester. Among the policies that match, the first that allows
// everything approves; if none does, the first one's first failed rule is
// the reason for the denial. With explain, every rule of every policy is
// evaluated and traced, context rules included; otherwise a policy's
// context rules run only when all of its allowed rules passed, so a
// request that cannot be approved costs no cluster reads.
//
// An error means the cluster could not be read: nothing is decided, and
// the CSR should be tried again.
func DecideIn(ctx context.Context, csr *certv1.CertificateSigningRequest, policies []*Policy, v ClusterView, explain bool) (Decision, error) {
	d := Decision{CSR: csr.Name, Verdict: Skip}
	if _, refused := kube.Refusal(csr); refused || kube.IsApproved(csr) {
		d.Message, d.Decided = "already decided", true
		return d, nil
	}
	var denial *Decision
	// The request is read, its signature checked and its content judged
	// once, when the first policy applies; every policy then judges that.
	var (
		req    *request
		read   bool
		refuse []failure
	)
	who := requesterOf(csr)
	for _, p := range policies {
		if why := p.speaksFor(csr); why != "" {
			d.Trace = append(d.Trace, fmt.Sprintf("policy %q does not apply: %s", p.Name, why))
			continue
		}
		if !read {
			var rule, detail string
			req, rule, detail = readRequest(csr)
			if rule != "" {
				refuse = []failure{{rule, detail}}
			}
			read = true
		}
		failed := refuse
		if failed == nil {
			var err error
			if failed, err = p.failures(ctx, v, req, who, explain); err != nil {
				return d, err
			}
		}
		if len(failed) == 0 {
			d.Trace = append(d.Trace, fmt.Sprintf("policy %q applies and allows everything asked", p.Name))
			d.Verdict, d.Policy = Approve, p.Name
			d.Message = fmt.Sprintf("approved by certform policy %q", p.Name)
			return d, nil
		}
		for _, f := range failed {
			d.Trace = append(d.Trace, fmt.Sprintf("policy %q applies and denies: %s: %s", p.Name, f.rule, f.detail))
		}
		if denial == nil {
			f := failed[0]
			denial = &Decision{Verdict: Deny, Policy: p.Name, Rule: f.rule,
				Message: fmt.Sprintf("denied by certform policy %q: %s: %s", p.Name, f.rule, f.detail)}
		}
	}
	if denial != nil {
		denial.CSR, denial.Trace = d.CSR, d.Trace
		return *denial, nil
	}
	d.Message = "no policy applies to this signer and requester"
	return d, nil
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

// failure is a rule that failed and what it found.
type failure struct {
	rule, detail string
}

// failures runs p's rules: those of allowed, with its templates expanded
// for the requester, then (when they all passed, or with all) its context
// rules. Without all it stops at the first failure.
func (p *Policy) failures(ctx context.Context, v ClusterView, r *request, who requester, all bool) ([]failure, error) {
	var failed []failure
	allowed := p.Allowed.forRequester(who)
	for _, rl := range rules {
		if detail := rl.check(allowed, r); detail != "" {
			failed = append(failed, failure{rl.name, detail})
			if !all {
				return failed, nil
			}
		}
	}
	if !p.Context.used() || len(failed) > 0 && !all {
		return failed, nil
	}
	if v == nil {
		return nil, fmt.Errorf("policy %q has context rules, which read the cluster; nothing was decided", p.Name)
	}
	for _, cr := range contextRules {
		if !cr.on(p.Context) {
			continue
		}
		detail, err := cr.check(ctx, v, p.Context, r, who)
		if err != nil {
			return nil, fmt.Errorf("policy %q, rule %s: %w", p.Name, cr.name, err)
		}
		if detail != "" {
			failed = append(failed, failure{cr.name, detail})
			if !all {
				break
			}
		}
	}
	return failed, nil
}
