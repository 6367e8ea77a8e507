package plan

import (
	"slices"

	"github.com/certform/certform/state"
)

// Removal is one thing deleting an address removes, or leaves in place:
// a file, the Secret or the CSR object. Plans list them so that a reviewer
// sees what a delete destroys before it does.
type Removal struct {
	Kind string // RemoveFile, RemoveSecret or RemoveCSR
	// Name is the file's path, the Secret's "namespace/name" or the CSR's
	// name.
	Name string
	Role string // a file's role (state.RoleKey, …)
	// Effect is what apply does to it.
	Effect Effect
	// Unobserved: planned without refresh, so the effect is what state
	// says; apply checks each object before it removes it (an edited file
	// stays, an adopted Secret is only released).
	Unobserved bool
}

// Kinds of Removal.
const (
	RemoveFile   = "file"
	RemoveSecret = "secret"
	RemoveCSR    = "csr"
)

// Effect is what deleting an address does to one thing it made.
type Effect string

// Effects of a delete.
const (
	// EffectDelete: removed.
	EffectDelete Effect = "delete"
	// EffectRelease: an adopted Secret certform did not create; only
	// certform's labels and annotations are removed, the Secret stays.
	EffectRelease Effect = "release"
	// EffectKeep: a file changed since certform wrote it; left in place.
	EffectKeep Effect = "keep"
	// EffectGone: already gone (a CSR garbage-collected, a file or Secret
	// deleted by hand); nothing to do.
	EffectGone Effect = "gone"
)

// removals lists what deleting rec removes, as observed: files in role
// order, then the Secret, then the CSR. Without observation every
// recorded object is listed as to be deleted; apply still checks each
// before it removes it.
func removals(rec *state.Certificate, world World) []Removal {
	return removalsOf(rec, world, true)
}

// removalsOf is removals, leaving out the CSR unless withCSR: a change
// that keeps the address keeps its CSR, and must not make the planner
// want the List of CSRs for nothing.
func removalsOf(rec *state.Certificate, world World, withCSR bool) []Removal {
	var out []Removal
	for _, f := range RecordedAttributes(rec).Files {
		r := Removal{Kind: RemoveFile, Name: f.Path, Role: f.Role, Effect: EffectDelete, Unobserved: !world.Refreshed}
		if obs := world.Files[f.Path]; world.Refreshed && !obs.Exists {
			r.Effect = EffectGone
		} else if world.Refreshed && obs.SHA256 != rec.Files[f.Path].SHA256 {
			r.Effect = EffectKeep
		}
		out = append(out, r)
	}
	if s := rec.Secret; s != nil {
		name := s.Namespace + "/" + s.Name
		r := Removal{Kind: RemoveSecret, Name: name, Effect: EffectDelete, Unobserved: !world.Refreshed}
		if _, found := world.Secrets[name]; world.Refreshed && world.Secrets != nil && !found {
			r.Effect = EffectGone
		} else if world.AdoptedSecrets[name] {
			r.Effect = EffectRelease
		}
		out = append(out, r)
	}
	if rec.CSRName != "" && withCSR {
		r := Removal{Kind: RemoveCSR, Name: rec.CSRName, Effect: EffectDelete, Unobserved: !world.Refreshed}
		if _, found := world.CSR(rec.CSRName); world.Refreshed && !found {
			r.Effect = EffectGone
		}
		out = append(out, r)
	}
	return out
}

// staleRemovals lists what a change that keeps the address removes: files
// recorded at paths the configuration no longer names (any action that
// writes files), and for an update or a reissue, a recorded Secret no
// longer configured at that namespace and name.
func staleRemovals(ch *Change, world World) []Removal {
	if ch.Before == nil || ch.AfterAttrs == nil || !(ch.Action == Update || ch.Action.Issues() || ch.Action == Wait) {
		return nil
	}
	var out []Removal
	for _, r := range removalsOf(ch.Before, world, false) {
		switch r.Kind {
		case RemoveFile:
			if slices.ContainsFunc(ch.AfterAttrs.Files, func(o Output) bool { return o.Path == r.Name }) {
				continue
			}
		case RemoveSecret:
			s := ch.AfterAttrs.Secret
			if ch.Action == Wait || s != nil && s.Namespace+"/"+s.Name == r.Name {
				continue
			}
		default:
			continue // the CSR stays: it issued the certificate that is kept
		}
		out = append(out, r)
	}
	return out
}
