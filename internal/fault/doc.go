// Package fault lets tests kill certform at a named step, as a crash or
// SIGKILL would, to prove that the next run converges. It is inert unless
// CERTFORM_FAULT_INJECT names a point; nothing else reads it.
package fault
