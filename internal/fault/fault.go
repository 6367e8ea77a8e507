package fault

import (
	"os"
	"syscall"
)

// EnvVar names the point at which the process kills itself.
const EnvVar = "CERTFORM_FAULT_INJECT"

var armed = os.Getenv(EnvVar)

// Points, in the order an issue reaches them.
const (
	AfterKeygen     = "after-keygen"      // key generated and kept, CSR not created
	Submitting      = "submitting"        // CSR about to be created, the submission recorded
	AfterCreate     = "after-create"      // CSR created, not yet recorded in state
	AfterApprove    = "after-approve"     // CSR approved by certform
	Waiting         = "waiting"           // waiting for the signer, pending record durable
	AfterFirstWrite = "after-first-write" // first of several output files in place
	AfterFiles      = "after-files"       // key and certificate in place, not recorded
	JournalAppend   = "journal-append"    // state journal written, not synced
	StatePersist    = "state-persist"     // the run's changes journaled, the final full state not written
)

// Point kills the process with SIGKILL when it is the armed point.
func Point(name string) {
	if armed != "" && armed == name {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // SIGKILL is not delivered synchronously on every platform
	}
}
