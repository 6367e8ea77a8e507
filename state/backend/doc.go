// Package backend is the contract between certform and a place that keeps
// one state: the Backend interface and the lock that guards a run, with
// the errors a lock can fail with. The implementations live beside it:
// local (a file with a flock and a journal) and kubernetes (Secrets with a
// Lease). Neither the model (package state) nor the planner depends on
// them.
package backend
