package apply

import "time"

// Phase is a step of an address's progress.
type Phase string

// Phases reported through Options.Report.
const (
	PhaseStart         Phase = "start"
	PhaseSubmitted     Phase = "submitted"      // CSR created (or reused)
	PhaseApproved      Phase = "approved"       // certform approved it
	PhaseAwaitApproval Phase = "await-approval" // a person or approver must approve
	PhaseAwaitSigner   Phase = "await-signer"   // approved, but the signer has not signed it yet
	PhaseIssued        Phase = "issued"         // certificate verified and written
	PhaseUpdated       Phase = "updated"        // outputs fixed without reissuing; Message says what was fixed
	PhaseDeleted       Phase = "deleted"        // an address, or (Message) a CA bundle target, removed
	PhaseMoved         Phase = "moved"          // a moved block renamed the record (Message: from where)
	PhaseForgotten     Phase = "forgotten"      // removed from state, everything left in place
	PhaseImported      Phase = "imported"       // an import block's key and certificate adopted
	PhasePublished     Phase = "published"      // a CA bundle ConfigMap created or updated
	PhasePending       Phase = "pending"        // left pending (--no-wait)
	PhaseAfterChange   Phase = "after-change"   // an after-change action ran (Message: which)
	PhaseFailed        Phase = "failed"
	PhaseWarning       Phase = "warning"
)

// Event is one progress report. It never carries key material.
type Event struct {
	Addr    string
	Phase   Phase
	CSRName string
	Message string
	Elapsed time.Duration
}
