package plan

import (
	"fmt"
	"path/filepath"

	"github.com/certform/certform/config"
)

// secretTypeTLS is the type of the Secret a certificate block writes.
const secretTypeTLS = "kubernetes.io/tls"

// conflicts lists the Secrets and ConfigMaps the plan would write although
// certform did not create them: someone else's (unless the block adopts
// them), another certform state's, or a Secret of a type certform cannot
// write (a Secret's type never changes). A plan with any must not be
// applied: certform never overwrites, and so never later deletes, what is
// not its own. A certificate that adopts its Secret says so in its reasons.
func conflicts(desired *config.Config, p *Plan, world World) []string {
	certs := map[string]*config.Certificate{}
	for _, c := range desired.Certificates {
		certs[c.Addr] = c
	}
	out := fileConflicts(certs, p, world)
	if len(world.Existing) == 0 {
		return out
	}
	for _, ch := range p.Changes {
		c := certs[ch.Addr]
		if ch.Action == Delete || ch.Action == Forget || c == nil || c.Secret == nil {
			continue
		}
		key := PublishedKey(config.TargetSecret, c.Secret.Namespace, c.Secret.Name)
		if obj, found := world.Existing[key]; found {
			// An import from the very Secret the block writes hands it to
			// certform as adopt = true does: never deleted, only released.
			source := ch.Action == Import && ch.Import.SecretName == c.Secret.Name && ch.Import.SecretNamespace == c.Secret.Namespace
			if msg := conflict(ch.Addr, obj, c.Secret.Adopt || source, secretTypeTLS, "secret"); msg != "" {
				out = append(out, msg)
			} else if source {
				ch.Reasons = append(ch.Reasons, fmt.Sprintf("secret %s/%s is the import's source: certform adopts it, and will only ever release it, never delete it", obj.Namespace, obj.Name))
			} else {
				ch.Reasons = append(ch.Reasons, fmt.Sprintf("secret %s/%s exists and is adopted (adopt = true)", obj.Namespace, obj.Name))
			}
		}
	}
	for _, b := range p.Bundles {
		for _, t := range b.Targets {
			if t.Action != Create && t.Action != Update {
				continue
			}
			if obj, found := world.Existing[PublishedKey(t.Kind, t.Namespace, t.Name)]; found {
				if msg := conflict(b.Addr, obj, t.Adopt, "Opaque", t.Kind); msg != "" {
					out = append(out, msg)
				}
			}
		}
	}
	return out
}

// fileConflicts lists the output files the plan would write over although
// certform did not write them: a file already at a path no record of this
// state holds (a hand-made key, a file left by an address that a removed
// block forgot, a stranger's file where an update moves an output). Records in
// flight are left out: an interrupted collect may have written their files
// before state could say so.
func fileConflicts(certs map[string]*config.Certificate, p *Plan, world World) []string {
	if !world.Refreshed {
		return nil
	}
	// Files some record of this state holds are certform's: an update may
	// move one address's output onto a path another address gives up
	// (apply orders such moves, and refuses cycles).
	held := map[string]bool{}
	for _, ch := range p.Changes {
		if ch.Before != nil {
			for path := range ch.Before.Files {
				held[path] = true
			}
		}
	}
	var out []string
	for _, ch := range p.Changes {
		c := certs[ch.Addr]
		writes := ch.Action.Issues() || ch.Action == Update || ch.Action == Import
		if c == nil || !writes || ch.Before != nil && ch.Before.InFlight() {
			continue
		}
		for _, o := range Outputs(c) {
			if !world.Files[o.Path].Exists || held[o.Path] {
				continue
			}
			if imp := ch.Import; imp != nil && (o.Path == filepath.Clean(imp.KeyFile) || o.Path == filepath.Clean(imp.CertFile)) {
				continue // the import's own source, adopted
			}
			out = append(out, fmt.Sprintf("%s: file %s exists and certform did not write it, so it will not overwrite it; move it away, or adopt the key and certificate with an import block (docs/configuration.md)", ch.Addr, o.Path))
		}
	}
	return out
}

// conflict says why addr may not write obj, or "" when it may (adopted).
func conflict(addr string, obj ExistingObject, adopt bool, secretType, block string) string {
	what := fmt.Sprintf("%s %s/%s", obj.Kind, obj.Namespace, obj.Name)
	switch {
	case obj.Lineage != "":
		return fmt.Sprintf("%s: %s belongs to another certform state (lineage %s); give it another name, or remove it from that state first", addr, what, obj.Lineage)
	case obj.Kind == config.TargetSecret && obj.Type != secretType && !(secretType == "Opaque" && obj.Type == ""):
		return fmt.Sprintf("%s: %s exists with type %s, but certform writes a %s Secret and a Secret's type cannot change; give it another name, or delete it", addr, what, obj.Type, secretType)
	case !adopt:
		return fmt.Sprintf("%s: %s exists and certform did not create it, so it will not overwrite it; give it another name, delete it, or set adopt = true in the %s block to hand it to certform (an adopted object is never deleted, only released)", addr, what, block)
	}
	return ""
}
