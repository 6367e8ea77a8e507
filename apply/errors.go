package apply

import (
	"errors"
	"fmt"
)

// AddrError is one address's failure. Apply has reported it already, as a
// PhaseFailed event with the same message, so a caller that shows events
// need not print it again.
type AddrError struct {
	Addr string
	Err  error
}

func (e *AddrError) Error() string { return fmt.Sprintf("%s: %v", e.Addr, e.Err) }
func (e *AddrError) Unwrap() error { return e.Err }

// errLeftPending ends an address whose CSR exists but whose run was
// interrupted (before its approval, or while it waited for its signer):
// its key is kept and its record made durable by the run's last commit,
// so it is reported pending (PhasePending) rather than failed, and
// nothing that waits for it runs.
var errLeftPending = errors.New("left pending")

// RejectedError is an issued certificate that failed verification: a new
// CSR (apply --replace ADDR) is the way on once the signer or the CA bundle
// is fixed, since collecting the same CSR again gets the same certificate.
type RejectedError struct {
	CSRName string
	Err     error
}

func (e *RejectedError) Error() string { return fmt.Sprintf("CSR %s: %v", e.CSRName, e.Err) }
func (e *RejectedError) Unwrap() error { return e.Err }

// Failures splits err as Apply returns it into the addresses that failed
// (already reported as events) and every other error.
func Failures(err error) (failed []*AddrError, other []error) {
	var walk func(error)
	walk = func(err error) {
		var ae *AddrError
		switch e := err.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		default:
			if errors.As(err, &ae) {
				failed = append(failed, ae)
			} else {
				other = append(other, err)
			}
		}
	}
	walk(err)
	return failed, other
}
