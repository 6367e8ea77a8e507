package plan

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/addrs"
	"github.com/certform/certform/state"
)

// ImportSource says where an Import change reads the key and certificate
// it adopts: files, or a kubernetes.io/tls Secret.
type ImportSource struct {
	KeyFile  string
	CertFile string
	// SecretNamespace and SecretName name the source Secret; both empty
	// for files.
	SecretNamespace string
	SecretName      string
}

// String describes the source for people.
func (s ImportSource) String() string {
	if s.SecretName != "" {
		return fmt.Sprintf("Secret %s/%s", s.SecretNamespace, s.SecretName)
	}
	return fmt.Sprintf("files %s and %s", s.KeyFile, s.CertFile)
}

// EffectLeave is what forgetting an address (a removed block with
// destroy = false) does to each thing certform made for it: nothing.
const EffectLeave Effect = "leave"

// leftInPlace lists what a forgotten address leaves untouched: its files,
// Secret and CSR, as state records them.
func leftInPlace(rec *state.Certificate) []Removal {
	out := removals(rec, World{Refreshed: true, Files: map[string]FileObservation{}})
	for i := range out {
		out[i].Effect, out[i].Unobserved = EffectLeave, false
	}
	return out
}

// move is one record a moved block renames.
type move struct {
	from, to string
	block    *config.Moved
}

// problem is a moved, removed or import block that cannot be honoured
// against this state and configuration.
type problem struct {
	subject          hcl.Range
	summary, details string
}

// resolveMoves lists the records the moved blocks rename, and the blocks
// that cannot be honoured. A moved block whose from is not in state
// (already applied, or never there) does nothing, as in Terraform: the
// block stays in the configuration as a note for other copies of it.
func resolveMoves(desired *config.Config, prior *state.State) ([]move, []problem) {
	configured := map[string]bool{}
	forEach := map[string]bool{} // block address → whether it has for_each
	for _, c := range desired.Certificates {
		configured[c.Addr] = true
		if a, err := ParseAddr(c.Addr); err == nil {
			forEach[a.Block()] = a.HasKey
		}
	}
	var moves []move
	var problems []problem
	for _, m := range desired.Moved {
		if m.From.Kind == "module" {
			ms, ps := moduleMoves(m, prior, configured, forEach)
			moves, problems = append(moves, ms...), append(problems, ps...)
			continue
		}
		to, err := ParseAddr(m.To.Addr)
		if err != nil {
			continue // config reported it
		}
		for _, addr := range prior.Addrs() {
			a, err := ParseAddr(addr)
			switch {
			case err != nil:
				continue
			case m.From.HasKey && addr != m.From.Addr:
				continue
			case !m.From.HasKey && addr != m.From.Addr && a.Block() != m.From.Addr:
				continue
			}
			dest := to
			if a.HasKey && !m.From.HasKey {
				if to.HasKey {
					problems = append(problems, problem{m.To.Range, "Cannot move a for_each block into one instance",
						fmt.Sprintf("%s has for_each instances in state (%s); move them to a block (to = %s), or move each instance with a moved block of its own.", m.From.Addr, addr, to.Block())})
					continue
				}
				dest.Key, dest.HasKey = a.Key, true
			}
			if mv, p := place(m, addr, dest, prior, configured, forEach); p != nil {
				problems = append(problems, *p)
			} else {
				moves = append(moves, mv)
			}
		}
	}
	return moves, problems
}

// moduleMoves lists the records a moved block between module calls
// renames: every address inside the from module (every instance of it when
// from has no instance key), to the same address inside the to module. An
// instance key of from's last call carries over when neither side names
// one.
func moduleMoves(m *config.Moved, prior *state.State, configured, forEach map[string]bool) ([]move, []problem) {
	from, err1 := addrs.ParseModule(m.From.Addr)
	to, err2 := addrs.ParseModule(m.To.Addr)
	if err1 != nil || err2 != nil {
		return nil, nil // config reported it
	}
	fromSteps, toSteps := from.Steps(), to.Steps()
	var moves []move
	var problems []problem
	for _, addr := range prior.Addrs() {
		a, err := ParseAddr(addr)
		if err != nil {
			continue
		}
		steps, n := a.Module.Steps(), len(fromSteps)
		if len(steps) < n || !slices.Equal(steps[:n-1], fromSteps[:n-1]) || !sameCall(fromSteps[n-1], steps[n-1]) {
			continue
		}
		last := toSteps[len(toSteps)-1]
		if !m.From.HasKey && !m.To.HasKey {
			last.Key, last.HasKey = steps[n-1].Key, steps[n-1].HasKey
		}
		dest := a
		dest.Module = addrs.ModuleOf(append(append(toSteps[:len(toSteps)-1:len(toSteps)-1], last), steps[n:]...)...)
		if mv, p := place(m, addr, dest, prior, configured, forEach); p != nil {
			problems = append(problems, *p)
		} else {
			moves = append(moves, mv)
		}
	}
	return moves, problems
}

// place is the move of addr to dest, or why it cannot be made: dest is
// in state already, or not in the configuration.
func place(m *config.Moved, addr string, dest Addr, prior *state.State, configured, forEach map[string]bool) (move, *problem) {
	switch d := dest.String(); {
	case prior.Certificates[d] != nil:
		return move{}, &problem{m.To.Range, "Move onto an address in state",
			fmt.Sprintf("%s would move to %s, which state already holds; remove that record first (certform state rm %s), or move to another address.", addr, d, d)}
	case !configured[d]:
		p := notConfigured(m, addr, dest, forEach)
		return move{}, &p
	default:
		return move{from: addr, to: d, block: m}, nil
	}
}

// sameCall reports whether step s is the module call want names: the same
// name, and the same instance when want has a key.
func sameCall(want, s addrs.Step) bool {
	return want.Name == s.Name && (!want.HasKey || s.HasKey && s.Key == want.Key)
}

// notConfigured explains a move to an address the configuration lacks:
// an instance into a block with for_each (or the other way round), or an
// address that is not declared at all.
func notConfigured(m *config.Moved, addr string, dest Addr, forEach map[string]bool) problem {
	hasForEach, declared := forEach[dest.Block()]
	switch {
	case declared && hasForEach && !dest.HasKey:
		return problem{m.To.Range, "Move of an instance into a block with for_each",
			fmt.Sprintf("%s has for_each, so %s must land on one of its instances: write to = %s[\"KEY\"].", dest.Block(), addr, dest.Block())}
	case declared && !hasForEach && dest.HasKey:
		return problem{m.To.Range, "Move into an instance of a block without for_each",
			fmt.Sprintf("%s would move to %s, but %s has no for_each; write to = %s, or add for_each to the block.", addr, dest, dest.Block(), dest.Block())}
	}
	return problem{m.To.Range, "Move to an address not in the configuration",
		fmt.Sprintf("%s would move to %s, which the configuration does not declare; declare it (with the same for_each keys), or correct the moved block.", addr, dest)}
}

// withMoves returns prior with the records renamed, and the previous
// address of each moved record by its new address.
func withMoves(prior *state.State, moves []move) (*state.State, map[string]string) {
	if len(moves) == 0 {
		return prior, nil
	}
	out := prior.DeepCopy()
	prev := map[string]string{}
	for _, m := range moves {
		rec := out.Certificates[m.from]
		delete(out.Certificates, m.from)
		rec.Addr = m.to
		out.Certificates[m.to] = rec
		prev[m.to] = m.from
	}
	return out, prev
}

// removedBy returns the removed block that covers addr, or nil.
func removedBy(desired *config.Config, addr string) *config.Removed {
	a, err := ParseAddr(addr)
	if err != nil {
		return nil
	}
	for _, r := range desired.Removed {
		if r.From.Addr == addr || !r.From.HasKey && r.From.Addr == a.Block() {
			return r
		}
	}
	return nil
}

// importFor returns the import block for addr, or nil.
func importFor(desired *config.Config, addr string) *config.Import {
	i := slices.IndexFunc(desired.Imports, func(imp *config.Import) bool { return imp.To.Addr == addr })
	if i < 0 {
		return nil
	}
	return desired.Imports[i]
}

// importChange is the change that adopts a key and certificate for c.
func importChange(c *config.Certificate, imp *config.Import) *Change {
	src := ImportSource{KeyFile: imp.KeyFile, CertFile: imp.CertFile}
	if imp.Secret != nil {
		src = ImportSource{SecretNamespace: imp.Secret.Namespace, SecretName: imp.Secret.Name}
	}
	after := RequestOf(c)
	return &Change{Addr: c.Addr, Action: Import, After: &after, AfterAttrs: AttributesOf(c), Import: &src,
		Reasons: []string{"import block: the key and certificate from " + src.String()}}
}

// CheckRefactors reports the moved, removed and import blocks that cannot
// be honoured against prior: the configuration package checks what needs
// no state. Plan and apply refuse to go on while there are any.
func CheckRefactors(desired *config.Config, prior *state.State) hcl.Diagnostics {
	_, problems := resolveMoves(desired, prior)
	configured, blocks := map[string]bool{}, map[string]bool{}
	for _, c := range desired.Certificates {
		configured[c.Addr] = true
		if a, err := ParseAddr(c.Addr); err == nil {
			blocks[a.Block()] = true
		}
	}
	for _, r := range desired.Removed {
		if configured[r.From.Addr] || !r.From.HasKey && blocks[r.From.Addr] {
			problems = append(problems, problem{r.From.Range, "Removed address is still configured",
				fmt.Sprintf("%s is still declared; a removed block is for an address whose block was deleted. Delete the block, or remove the removed block.", r.From.Addr)})
		}
	}
	for _, imp := range desired.Imports {
		switch {
		case configured[imp.To.Addr]:
		case blocks[imp.To.Addr]:
			problems = append(problems, problem{imp.To.Range, "Import into a block with for_each",
				fmt.Sprintf("%s has for_each; import into one of its instances, such as %s[\"KEY\"].", imp.To.Addr, imp.To.Addr)})
		default:
			problems = append(problems, problem{imp.To.Range, "Import into an address not in the configuration",
				fmt.Sprintf("%s is not declared; declare its certificate block first, then import into it.", imp.To.Addr)})
		}
	}
	var diags hcl.Diagnostics
	for _, p := range problems {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: p.summary, Detail: p.details, Subject: p.subject.Ptr()})
	}
	return diags
}

// Moved returns prior with the records the moved blocks rename under
// their new addresses (prior itself when nothing moves): the state the
// planner compares with, for observing the world as it will.
func Moved(desired *config.Config, prior *state.State) *state.State {
	moves, _ := resolveMoves(desired, prior)
	moved, _ := withMoves(prior, moves)
	return moved
}
