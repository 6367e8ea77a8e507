package plan

// Action is what apply does to one address.
type Action string

// Actions, in the order the summary line counts them.
const (
	NoOp    Action = "no-op"
	Create  Action = "create"  // issue a certificate for a new address
	Renew   Action = "renew"   // reissue the same request before it expires
	Replace Action = "replace" // reissue because the request or its key changed
	Update  Action = "update"  // fix files only: same key and certificate
	Wait    Action = "wait"    // a submitted CSR is still being decided or signed
	Delete  Action = "delete"  // the address left the configuration
	// Forget drops the record from state and leaves the files, Secret and
	// CSR in place (a removed block with destroy = false).
	Forget Action = "forget"
	// Import adopts a key and certificate made another way (an import
	// block): verified, written to the outputs, recorded as issued.
	Import Action = "import"
)

// Issues reports whether the action submits a new CSR.
func (a Action) Issues() bool {
	return a == Create || a == Renew || a == Replace
}
