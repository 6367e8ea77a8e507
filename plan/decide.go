package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/certform/certform/config"
	"github.com/certform/certform/state"
)

// input is everything decide looks at for one configured address.
type input struct {
	desired      *config.Certificate
	prior        *state.Certificate // nil when new
	world        World
	now          time.Time
	forceReplace bool
	caContent    map[string][]byte // each bundle's content (Plan.CAContent)
}

// decide runs the checks in order; the first that calls for an action wins,
// except that update-only findings are collected so one update fixes all.
func decide(in input) *Change {
	after := RequestOf(in.desired)
	ch := &Change{Addr: in.desired.Addr, Before: in.prior, After: &after, Action: NoOp,
		BeforeAttrs: RecordedAttributes(in.prior), AfterAttrs: AttributesOf(in.desired)}
	if in.prior == nil {
		ch.Action, ch.Reasons = Create, []string{"not yet issued"}
		return ch
	}
	for _, check := range []func(input, *Change) bool{
		checkForced, checkPending, checkRequest, checkKeyFile, checkCertFile, checkSecretKey, checkRenewal, checkPaths,
	} {
		if check(in, ch) {
			break
		}
	}
	ch.ReuseKey = ch.Action.Issues() && in.desired.Key.Rotation == config.RotateNever &&
		ch.Before.KeySHA256 != "" && !keyLost(in)
	ch.Removes = staleRemovals(ch, in.world)
	ch.AfterChange = afterChange(in, ch)
	return ch
}

func checkForced(in input, ch *Change) bool {
	switch {
	case in.forceReplace:
		ch.Action, ch.Reasons = Replace, []string{"replacement requested with --replace"}
	case in.prior.Status == state.StatusTainted:
		ch.Action, ch.Reasons = Replace, []string{"marked for replacement"}
	default:
		return false
	}
	return true
}

// checkPending handles a CSR submitted but not yet collected, or one an
// interrupted run may have created (submitting): that one is waited for
// only if it exists and was made with the key the record names.
func checkPending(in input, ch *Change) bool {
	if !in.prior.InFlight() {
		return false
	}
	if forces := requestDiff(in.prior.Request, *ch.After); len(forces) > 0 {
		ch.Action, ch.Forces = Replace, forces
		ch.Reasons = []string{fmt.Sprintf("request changed while CSR %s was pending", in.prior.CSRName)}
		return true
	}
	if !in.world.Refreshed {
		ch.Action, ch.Reasons = Wait, []string{fmt.Sprintf("CSR %s was submitted; not refreshed", in.prior.CSRName)}
		return true
	}
	csr, found := in.world.CSR(in.prior.CSRName)
	submitting := in.prior.Status == state.StatusSubmitting
	switch {
	case submitting && !found:
		ch.Action, ch.Reasons = Replace, []string{fmt.Sprintf("CSR %s was not created: the run submitting it was interrupted", in.prior.CSRName)}
	case submitting && csr.KeySHA256 != in.prior.KeySHA256:
		ch.Action, ch.Reasons = Replace, []string{fmt.Sprintf("CSR %s was not made with the key kept for it", in.prior.CSRName)}
	case !found:
		ch.Action, ch.Reasons = Replace, []string{fmt.Sprintf("CSR %s was deleted or garbage-collected before it was issued", in.prior.CSRName)}
	case !submitting && csr.UID != in.prior.CSRUID:
		ch.Action, ch.Reasons = Replace, []string{fmt.Sprintf("CSR %s was recreated by someone else (UID changed)", in.prior.CSRName)}
	case csr.Phase == CSRDenied:
		// The same request would be denied again, or sit in front of the
		// approver who denied it until the wait times out: it is only
		// resubmitted when the request changes (checked above) or on
		// --replace (checkForced). The plan says so, and changes nothing.
		ch.Action, ch.Reasons = NoOp, []string{fmt.Sprintf("CSR %s was denied (%s); the same request is not submitted again: change the request, or pass --replace %s to submit it again",
			csr.Name, deniedMessage(csr.Message), ch.Addr)}
	case csr.Phase == CSRFailed:
		ch.Action, ch.Reasons = Replace, []string{fmt.Sprintf("CSR %s failed: %s", csr.Name, csr.Message)}
	case !in.world.PendingKeys[in.prior.KeySHA256]:
		ch.Action, ch.Reasons = Replace, []string{fmt.Sprintf("the key kept for CSR %s is missing", csr.Name)}
	case csr.Phase == CSRIssued:
		ch.Action, ch.Reasons = Wait, []string{fmt.Sprintf("CSR %s was issued; the certificate will be collected", csr.Name)}
	case csr.Phase == CSRApproved:
		ch.Action, ch.Reasons = Wait, []string{fmt.Sprintf("CSR %s is approved and waiting for the signer", csr.Name)}
	default:
		ch.Action, ch.Reasons = Wait, []string{fmt.Sprintf("CSR %s is waiting for approval", csr.Name)}
	}
	if submitting && ch.Action == Wait {
		ch.Reasons = append(ch.Reasons, "an interrupted run created it; it is adopted with the key kept for it")
	}
	return true
}

func deniedMessage(m string) string {
	if m == "" {
		return "no reason given"
	}
	return m
}

func checkRequest(in input, ch *Change) bool {
	forces := requestDiff(in.prior.Request, *ch.After)
	if len(forces) == 0 {
		return false
	}
	ch.Action, ch.Forces = Replace, forces
	ch.Reasons = []string{strings.Join(forces, ", ") + " changed"}
	return true
}

func checkKeyFile(in input, ch *Change) bool {
	if !in.world.Refreshed {
		return false
	}
	path, rec, ok := in.prior.FileWithRole(state.RoleKey)
	if !ok {
		return false
	}
	obs := in.world.Files[path]
	if obs.Exists && obs.SHA256 == rec.SHA256 {
		return false
	}
	if _, home := secretHome(in); home {
		return false // a copy: checkPaths writes it from the Secret
	}
	ch.Action, ch.Reasons = Replace, []string{keyGoneReason(in, path, obs.Exists)}
	return true
}

func checkCertFile(in input, ch *Change) bool {
	if !in.world.Refreshed {
		return false
	}
	path, rec, ok := in.prior.FileWithRole(state.RoleCert)
	if !ok {
		return false
	}
	obs := in.world.Files[path]
	problem := "cert file " + path + " is missing"
	if obs.Exists {
		if obs.SHA256 == rec.SHA256 {
			return false
		}
		problem = "cert file " + path + " was modified outside certform"
	}
	if _, home := secretHome(in); home {
		return false // a copy: checkPaths writes it from the Secret
	}
	csr, found := in.world.CSR(in.prior.CSRName)
	if found && csr.UID == in.prior.CSRUID && csr.Phase == CSRIssued && csr.CertSHA256 == rec.SHA256 {
		ch.Action, ch.RewriteCert = Update, true
		ch.Reasons = []string{problem + "; rewriting it from CSR " + csr.Name}
		return true
	}
	ch.Action, ch.Reasons = Replace, []string{problem + " and its CSR is gone"}
	return true
}

// keyLost reports whether the recorded key can no longer be read: its
// file is gone or altered and no Secret holds it.
func keyLost(in input) bool {
	if _, home := secretHome(in); home {
		return false
	}
	path, _, ok := in.prior.FileWithRole(state.RoleKey)
	if !ok || !in.world.Refreshed {
		return !ok
	}
	return !in.world.Files[path].Exists || in.world.Files[path].SHA256 != in.prior.Files[path].SHA256
}

// checkPaths finds output files to write, move or re-mode, and a Secret
// to write or remove: everything an update fixes without reissuing.
func checkPaths(in input, ch *Change) bool {
	var reasons []string
	secret, home := secretHome(in)
	for _, out := range Outputs(in.desired) {
		path, rec, recorded := in.prior.FileWithRole(out.Role)
		obs := in.world.Files[out.Path]
		switch {
		case !recorded:
			reasons = append(reasons, fmt.Sprintf("%s file %s is to be written", out.Role, out.Path))
		case path != out.Path:
			reasons = append(reasons, fmt.Sprintf("%s file moves from %s to %s", out.Role, path, out.Path))
		case (out.Role == state.RoleKey || out.Role == state.RoleCert) && home && (!obs.Exists || obs.SHA256 != rec.SHA256):
			reasons = append(reasons, restoredReason(out.Role, path, obs.Exists, secret))
		case out.Role == state.RoleCA && in.desired.Output.CABundle != "" && in.world.Refreshed && rec.SHA256 != sha256Hex(in.caContent[in.desired.Output.CABundle]):
			reasons = append(reasons, fmt.Sprintf("ca file %s is out of date with %s", path, in.desired.Output.CABundle))
		case out.Role != state.RoleKey && out.Role != state.RoleCert && in.world.Refreshed && (!obs.Exists || obs.SHA256 != rec.SHA256):
			reasons = append(reasons, fmt.Sprintf("%s file %s is missing or was modified outside certform", out.Role, path))
		case fileStale(in, out, rec) != "":
			reasons = append(reasons, fileStale(in, out, rec))
		case in.world.Refreshed && obs.Exists && obs.Mode.Perm() != out.Mode:
			reasons = append(reasons, fmt.Sprintf("%s file %s has mode %04o, want %04o", out.Role, path, uint32(obs.Mode.Perm()), uint32(out.Mode)))
		case rec.Mode.Perm() != out.Mode:
			reasons = append(reasons, fmt.Sprintf("%s file %s was recorded with mode %04o, want %04o", out.Role, path, uint32(rec.Mode.Perm()), uint32(out.Mode)))
		}
	}
	if !in.desired.HasFiles() && len(in.prior.Files) > 0 {
		reasons = append(reasons, "the output block was removed: its files are to be deleted")
	}
	reasons = append(reasons, secretReasons(in)...)
	reasons = append(reasons, secretTemplateReasons(in)...)
	reasons = append(reasons, retryReasons(in)...)
	if len(reasons) == 0 {
		return false
	}
	ch.Action, ch.Reasons = Update, reasons
	return true
}

// Output is one file a certificate block asks for.
type Output struct {
	Role string
	Path string
	Mode fs.FileMode
}

// Outputs lists the files c asks for, key and certificate first.
func Outputs(c *config.Certificate) []Output {
	if !c.HasFiles() {
		return nil // the Secret is the only output
	}
	o := c.Output
	out := []Output{
		{state.RoleKey, filepath.Clean(o.KeyFile), o.KeyFileMode},
		{state.RoleCert, filepath.Clean(o.CertFile), o.FileMode},
	}
	for _, f := range []struct{ role, path string }{{state.RoleCA, o.CAFile}, {state.RoleCSR, o.CSRFile}, {state.RoleChain, o.ChainFile}} {
		if f.path != "" {
			out = append(out, Output{f.role, filepath.Clean(f.path), o.FileMode})
		}
	}
	for _, f := range o.Extra {
		mode := o.FileMode
		if f.Kind.HoldsKey() {
			mode = o.KeyFileMode // 0600 from creation, like the key file
		}
		out = append(out, Output{string(f.Kind), filepath.Clean(f.Path), mode})
	}
	return out
}

// secretReasons compares the configured Secret with the recorded and the
// observed one.
func secretReasons(in input) []string {
	want, rec := in.desired.Secret, in.prior.Secret
	switch {
	case want == nil && rec == nil:
		return nil
	case want == nil:
		return []string{fmt.Sprintf("secret %s/%s is no longer configured", rec.Namespace, rec.Name)}
	case rec == nil:
		return []string{fmt.Sprintf("secret %s/%s is to be written", want.Namespace, want.Name)}
	case rec.Namespace != want.Namespace || rec.Name != want.Name:
		return []string{fmt.Sprintf("secret moves from %s/%s to %s/%s", rec.Namespace, rec.Name, want.Namespace, want.Name)}
	}
	if !in.world.Refreshed {
		return nil
	}
	switch got, ok := in.world.Secrets[rec.Namespace+"/"+rec.Name]; {
	case !ok:
		return []string{fmt.Sprintf("secret %s/%s was deleted outside certform", rec.Namespace, rec.Name)}
	case got != rec.SHA256:
		return []string{fmt.Sprintf("secret %s/%s was modified outside certform", rec.Namespace, rec.Name)}
	}
	return nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
