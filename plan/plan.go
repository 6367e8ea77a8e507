package plan

import (
	"slices"
	"strings"
	"time"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/addrs"
	"github.com/certform/certform/state"
)

// Plan is the set of changes that would make the world match the
// configuration. It holds no key material.
type Plan struct {
	// Lineage and Serial of the state the plan was made from; apply refuses
	// a plan whose state has moved on.
	Lineage string
	Serial  uint64
	// Changes, sorted by address, including no-ops.
	Changes []*Change
	// Bundles are the ca_bundle changes, sorted by address.
	Bundles []*BundleChange
	// CAContent by ca_bundle address: each bundle's content, for the
	// certificates whose ca_file names it.
	CAContent map[string][]byte
	// Blocked lists CA removals the trust guard refuses; a plan with any
	// must not be applied (unless AllowTrustRemoval cleared them).
	Blocked []string
	// Conflicts lists Secrets and ConfigMaps the plan would write although
	// certform did not create them (conflicts.go); a plan with any must
	// not be applied.
	Conflicts []string
	// Created is the clock's time when planning.
	Created time.Time
}

// Change is one address's action.
type Change struct {
	Addr   string
	Action Action
	// Before is the state record (nil for create).
	Before *state.Certificate
	// After is the desired request (nil for delete).
	After *state.Request
	// BeforeAttrs are the attributes state recorded (nil for create);
	// AfterAttrs the planned ones (nil for delete). Both are for showing
	// the change: apply acts on Before, After and the configuration.
	BeforeAttrs, AfterAttrs *Attributes
	// Removes lists what the change removes or leaves in place: for a
	// delete everything certform made for the address, otherwise files at
	// paths no longer configured and (for an update) a Secret no longer
	// configured there.
	Removes []Removal
	// Forces names the request attributes whose change forces replacement.
	Forces []string
	// Reasons explain the action, for display only.
	Reasons []string
	// ReuseKey asks apply to submit with the existing key (rotation = "never").
	ReuseKey bool
	// RewriteCert asks an update to rewrite the certificate from the CSR.
	RewriteCert bool
	// Approval is the approver's predicted verdict on the CSR the change
	// submits (plan --policy); nil without --policy, for a change that
	// submits none, or for a self-approved certificate.
	Approval *Approval
	// PrevAddr is the address the record had in state before a moved
	// block renamed it, "" when it did not move. Apply renames the record
	// (and its Secret's address annotation) before anything else; Before
	// is the record under its new address.
	PrevAddr string
	// Import says where an Import change reads the key and certificate.
	Import *ImportSource
	// AfterChange lists the after-change actions (config.OnChange IDs)
	// apply runs once the change succeeds, because the certificate's
	// content changes or an earlier run failed to run them (delivery.go).
	AfterChange []AfterAction
	// Cluster names the cluster of a fleet the address lives in (its
	// kubernetes "NAME" block); "" for the default cluster.
	Cluster string
}

// Counts returns how many changes have each action.
func (p *Plan) Counts() map[Action]int {
	n := map[Action]int{}
	for _, c := range p.Changes {
		n[c.Action]++
	}
	return n
}

// Moves counts the records that move to a new address.
func (p *Plan) Moves() int {
	n := 0
	for _, c := range p.Changes {
		if c.PrevAddr != "" {
			n++
		}
	}
	return n
}

// HasChanges reports whether applying the plan would do anything.
func (p *Plan) HasChanges() bool {
	for _, c := range p.Changes {
		if c.Action != NoOp || c.PrevAddr != "" {
			return true
		}
	}
	for _, b := range p.Bundles {
		if b.Action != NoOp {
			return true
		}
	}
	return false
}

// Options are the user's choices that shape a plan.
type Options struct {
	// Targets limits the plan to these addresses (and for_each instances of
	// a targeted block, and everything in a targeted module such as
	// module.web or module.web["a"]); empty means all.
	Targets []string
	// Replace forces reissue of these addresses.
	Replace []string
	// Destroy plans the deletion of every address in state.
	Destroy bool
	// AllowTrustRemoval lets a plan drop a CA that managed certificates
	// still chain only to.
	AllowTrustRemoval bool
}

// MakeListing is Make for a world whose List of CSR objects refresh may
// have deferred (World.DeferCSRs): when the plan wanted a CSR, list (the
// caller's I/O, refresh.ListCSRs) fills them in and the plan is made
// again, so that it is what Make gives with every CSR observed.
func MakeListing(desired *config.Config, prior *state.State, world World, now time.Time, opts Options, list func(*World) error) (*Plan, error) {
	p := Make(desired, prior, world, now, opts)
	if !world.WantedCSRs() {
		return p, nil
	}
	if err := list(&world); err != nil {
		return nil, err
	}
	return Make(desired, prior, world, now, opts), nil
}

// Make computes the plan for desired against prior and the observed world,
// at time now. Refresh may have deferred the world's CSRs: use MakeListing
// for a world from refresh.
func Make(desired *config.Config, prior *state.State, world World, now time.Time, opts Options) *Plan {
	p := &Plan{Lineage: prior.Lineage, Serial: prior.Serial, Created: now, CAContent: map[string][]byte{}}
	for addr, rb := range world.Bundles {
		p.CAContent[addr], _ = bundlePEM(rb.CAs)
	}
	seen := map[string]bool{}
	reason := "not in configuration"
	configured := desired
	var prev map[string]string
	if opts.Destroy {
		desired, reason = &config.Config{}, "destroy requested"
	} else {
		moves, _ := resolveMoves(desired, prior) // CheckRefactors reported the rest
		prior, prev = withMoves(prior, moves)
	}
	decided := make([]*Change, len(desired.Certificates))
	var inputs []input
	var at []int
	for i, c := range desired.Certificates {
		seen[c.Addr] = true
		rec := prior.Certificates[c.Addr]
		if !targeted(c.Addr, opts.Targets) {
			if prev[c.Addr] != "" { // a move is done whatever the targets
				// Only the address changes: after is the record as it is.
				attrs := RecordedAttributes(rec)
				decided[i] = &Change{Addr: c.Addr, Action: NoOp, Before: rec, BeforeAttrs: attrs, AfterAttrs: attrs, PrevAddr: prev[c.Addr]}
			}
			continue
		}
		if imp := importFor(desired, c.Addr); imp != nil && rec == nil {
			decided[i] = importChange(c, imp)
			continue
		}
		inputs = append(inputs, input{desired: c, prior: rec, world: world, now: now, caContent: p.CAContent,
			forceReplace: slices.Contains(opts.Replace, c.Addr)})
		at = append(at, i)
	}
	for j, ch := range decideAll(inputs) {
		ch.PrevAddr = prev[ch.Addr]
		decided[at[j]] = ch
	}
	for _, ch := range decided {
		if ch != nil {
			p.Changes = append(p.Changes, ch)
		}
	}
	for _, addr := range prior.Addrs() {
		if seen[addr] || !targeted(addr, opts.Targets) {
			continue
		}
		rec := prior.Certificates[addr]
		ch := &Change{Addr: addr, Action: Delete, Before: rec, BeforeAttrs: RecordedAttributes(rec),
			Removes: removals(rec, world), Reasons: []string{reason}}
		if r := removedBy(configured, addr); r != nil && !r.Destroy {
			ch.Action, ch.Reasons, ch.Removes = Forget, []string{"removed block with lifecycle { destroy = false }"}, leftInPlace(rec)
		} else if r != nil {
			ch.Reasons = []string{"removed block with lifecycle { destroy = true }"}
		}
		p.Changes = append(p.Changes, ch)
	}
	clusterOf := map[string]string{}
	for _, c := range configured.Certificates {
		clusterOf[c.Addr] = c.Cluster
	}
	for _, ch := range p.Changes {
		name, ok := clusterOf[ch.Addr]
		if !ok && ch.Before != nil {
			name = ch.Before.Cluster.ClusterName()
		}
		if name != config.DefaultCluster {
			ch.Cluster = name
		}
	}
	slices.SortFunc(p.Changes, func(a, b *Change) int { return strings.Compare(a.Addr, b.Addr) })
	if len(opts.Targets) == 0 {
		p.Bundles = planBundles(desired, world)
		if !opts.AllowTrustRemoval {
			p.Blocked = trustGuard(p.Bundles, world, p.deleted())
		}
	}
	p.Conflicts = conflicts(desired, p, world)
	return p
}

// deleted is the set of addresses the plan deletes: their certificates
// stop mattering to the trust guard.
func (p *Plan) deleted() map[string]bool {
	out := map[string]bool{}
	for _, ch := range p.Changes {
		if ch.Action == Delete || ch.Action == Forget {
			out[ch.Addr] = true
		}
	}
	return out
}

// Targeted reports whether addr is within targets (all when empty), as
// plan --target selects it.
func Targeted(addr string, targets []string) bool { return targeted(addr, targets) }

func targeted(addr string, targets []string) bool {
	if len(targets) == 0 {
		return true
	}
	a, err := ParseAddr(addr)
	if err != nil {
		return false
	}
	for _, t := range targets {
		if addr == t || a.Block() == t {
			return true
		}
		if m, err := addrs.ParseModule(t); err == nil && m.Selects(a.Module) {
			return true
		}
	}
	return false
}

// NewKey reports whether the change generates a new private key: it
// issues, and the key is not reused (key.rotation = "never").
func (c *Change) NewKey() bool {
	return c.Action.Issues() && !c.ReuseKey
}
