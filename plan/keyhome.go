package plan

import (
	"fmt"

	"github.com/certform/certform/state"
)

// A key has one home. With a recorded Secret, the Secret is it: the files
// are copies, and a runner that lacks them, or whose copies were edited,
// writes them from the Secret (an update, never a reissue). With files
// only, the key file is the only copy, on the machine that wrote it; a
// runner without it can only issue a new key, and the reasons say where
// the key went rather than blaming an edit nobody made.

// secretHome returns the recorded Secret ("namespace/name") and whether it
// holds the recorded key and certificate, so that files can be written
// from it.
func secretHome(in input) (string, bool) {
	rec := in.prior.Secret
	if rec == nil {
		return "", false
	}
	name := rec.Namespace + "/" + rec.Name
	if !in.world.Refreshed || in.prior.Status != state.StatusIssued || in.prior.KeySHA256 == "" {
		return name, false
	}
	got, ok := in.world.TLS[name]
	return name, ok && got.KeySHA256 == in.prior.KeySHA256 && got.Serial == in.prior.SerialNumber
}

// restoredReason is the update reason for a key or cert file that the
// Secret restores.
func restoredReason(role, path string, exists bool, secret string) string {
	if !exists {
		return fmt.Sprintf("%s file %s is missing; written from Secret %s", role, path, secret)
	}
	return fmt.Sprintf("%s file %s was modified outside certform; repaired from Secret %s", role, path, secret)
}

// keyGoneReason explains a key file that is missing (or not what was
// written) when no Secret can restore it: where the key was written, if
// that was elsewhere, and that only a new key can be issued.
func keyGoneReason(in input, path string, exists bool) string {
	from, here := in.prior.FilesOrigin, in.world.Here
	elsewhere := !from.IsZero() && !here.IsZero() && from != here
	problem := "key file " + path + " is missing"
	switch {
	case exists && elsewhere:
		problem = "key file " + path + " is not the one certform last wrote"
	case exists:
		problem = "key file " + path + " was modified outside certform"
	}
	if name, _ := secretHome(in); name != "" {
		problem += fmt.Sprintf(" and Secret %s does not hold the key", name)
	}
	switch {
	case !elsewhere:
		return problem
	case from.Host != here.Host:
		return fmt.Sprintf("%s: the key was written on host %s and is not on this machine; only a new key can be issued", problem, from.Host)
	default:
		return fmt.Sprintf("%s: the key was written in %s, another checkout on this host, and is not in this one; only a new key can be issued", problem, from.Dir)
	}
}

// checkSecretKey handles a certificate whose key was kept only in its
// Secret (no key file recorded): when the Secret is gone or no longer
// holds the key, the key is lost and only a new one can be issued.
func checkSecretKey(in input, ch *Change) bool {
	if _, _, hasFile := in.prior.FileWithRole(state.RoleKey); hasFile || in.prior.Secret == nil || !in.world.Refreshed {
		return false
	}
	name, ok := secretHome(in)
	if ok || in.prior.Status != state.StatusIssued {
		return false
	}
	reason := fmt.Sprintf("Secret %s no longer holds the key and certificate certform wrote, and it was their only copy; only a new key can be issued", name)
	if _, found := in.world.TLS[name]; !found {
		reason = fmt.Sprintf("Secret %s was deleted outside certform, and it held the only copy of the key; only a new key can be issued", name)
	}
	ch.Action, ch.Reasons = Replace, []string{reason}
	return true
}
