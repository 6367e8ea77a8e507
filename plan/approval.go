package plan

// Approval is the approver's predicted verdict on the CSR a change would
// submit (plan --policy DIR): what `certform approve --policy DIR` would
// decide once the CSR exists, with the requester the credentials in use
// authenticate as. It is a prediction for people and policy checks; apply
// neither reads it nor saves it in plan files.
type Approval struct {
	Verdict string // "approve", "deny", or "skip" (no policy applies)
	Policy  string // the policy that approves, or whose rule denies
	Rule    string // the rule that denies
	Message string
}

// Approval verdicts.
const (
	ApprovalApprove = "approve"
	ApprovalDeny    = "deny"
	ApprovalSkip    = "skip"
)

// Denied lists the changes whose CSR the approver is predicted to deny.
func (p *Plan) Denied() []*Change {
	var denied []*Change
	for _, c := range p.Changes {
		if c.Approval != nil && c.Approval.Verdict == ApprovalDeny {
			denied = append(denied, c)
		}
	}
	return denied
}
