package observed

import "sync/atomic"

// DeferCSRs marks w as observed without the List of CSR objects: refresh
// leaves the List out when no record is in flight or being removed, since
// a plan of intact, issued certificates never reads their CSRs (which the
// controller-manager garbage-collects within the hour anyway). Every CSR
// lookup of the planner then notes that it wanted them; the caller asks
// WantedCSRs after planning, and if so lists them (ListedCSRs) and plans
// again. A plan that needs no CSR thus costs no request, and one that does
// sees them all, as before.
func (w *World) DeferCSRs() {
	w.CSRs, w.csrsDeferred, w.csrsWanted = nil, true, new(atomic.Bool)
}

// ListedCSRs records the CSR objects listed for w, ending a deferral.
func (w *World) ListedCSRs(csrs map[string]CSRObservation) {
	w.CSRs, w.csrsDeferred, w.csrsWanted = csrs, false, nil
}

// CSR returns the CSR object named name as observed, and whether it was
// found. With the List deferred (DeferCSRs), it finds nothing and notes
// that a CSR was wanted: the plan made from w must then be made again
// once the CSRs are listed. Read CSRs only through it.
func (w World) CSR(name string) (CSRObservation, bool) {
	if w.csrsDeferred {
		w.csrsWanted.Store(true)
		return CSRObservation{}, false
	}
	csr, found := w.CSRs[name]
	return csr, found
}

// WantedCSRs reports whether a lookup (CSR) found the List deferred: the
// plan made from w is then incomplete, and its caller must list the CSRs
// and plan again.
func (w World) WantedCSRs() bool {
	return w.csrsDeferred && w.csrsWanted.Load()
}

// CSRsDeferred reports whether the List of CSR objects was left out.
func (w World) CSRsDeferred() bool {
	return w.csrsDeferred
}
