// Package apply executes a plan.Plan: it generates keys, submits CSRs,
// approves them when the configuration says so, waits for the signer with
// one shared watch, verifies what comes back, writes files atomically and
// records the result in state after every finished address.
//
// Apply always returns the new state, even when some addresses failed, so
// that the caller persists what finished. A key whose CSR is in flight is
// kept in a keystore.Store, never in state, so an interrupted or --no-wait
// run is resumed by the next one with the same key.
package apply
