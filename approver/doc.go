// Package approver decides CertificateSigningRequests by policy, doing the
// two checks the Kubernetes task page asks of every approver: the requester
// controls the private key the request was signed with, and the requester
// may ask for what it asks for in this context. Anything a matching policy
// does not allow is denied; a CSR no policy matches is left to others.
//
// Policies are HCL files (see Load); Decide is a pure function of a CSR and
// the policies; Run applies decisions to the cluster, once or as a
// long-lived watcher with leader election.
package approver
