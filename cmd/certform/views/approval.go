package views

import (
	"fmt"
	"strings"

	"github.com/certform/certform/plan"
)

// ApprovalWords says what the approver is predicted to decide.
func ApprovalWords(a *plan.Approval) string {
	switch a.Verdict {
	case plan.ApprovalApprove:
		return fmt.Sprintf("the approver would approve this CSR (policy %q)", a.Policy)
	case plan.ApprovalDeny:
		return fmt.Sprintf("the approver would DENY this CSR: policy %q, rule %s: %s", a.Policy, a.Rule, detailOf(a))
	default:
		return "no approver policy applies to this CSR: it would wait for someone else to approve it"
	}
}

// detailOf is the denial's finding without the policy and rule the
// message repeats.
func detailOf(a *plan.Approval) string {
	prefix := fmt.Sprintf("denied by certform policy %q: %s: ", a.Policy, a.Rule)
	return strings.TrimPrefix(a.Message, prefix)
}

// deniedWarning sums up the changes the approver would deny.
func deniedWarning(denied []*plan.Change) string {
	var addrs []string
	for _, c := range denied {
		addrs = append(addrs, c.Addr)
	}
	return fmt.Sprintf("the approver's policies would deny %d of the CSRs this plan submits (%s); apply would wait for a certificate that is never issued",
		len(denied), strings.Join(addrs, ", "))
}
