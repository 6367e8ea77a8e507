package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certform/certform/config"
	"github.com/certform/certform/state"
)

// Part is the share of a configuration and its state that lives in one
// cluster of a fleet. Each part is observed, planned and applied on its
// own, so that one cluster that cannot be reached fails only its own
// addresses.
type Part struct {
	Cluster string
	Config  *config.Config
	Prior   *state.State
}

// Split divides cfg and prior by cluster, in the order of
// cfg.ClusterNames (clusters only state still names last). A record goes
// to the cluster of the block that declares its address (after moved
// blocks), or else to the cluster it records. A configuration of the
// default cluster alone, whose state records no other, is one part holding
// cfg and prior themselves.
func Split(cfg *config.Config, prior *state.State) []Part {
	moves, _ := resolveMoves(cfg, prior)
	_, prev := withMoves(prior, moves)
	next := map[string]string{} // old address → new
	for to, from := range prev {
		next[from] = to
	}
	certCluster, bundleCluster := map[string]string{}, map[string]string{}
	for _, c := range cfg.Certificates {
		certCluster[c.Addr] = c.Cluster
	}
	for _, b := range cfg.CABundles {
		bundleCluster[b.Addr] = b.Cluster
	}
	clusterOfRecord := func(addr string, rec state.Cluster) string {
		if to, ok := next[addr]; ok {
			addr = to
		}
		if name, ok := certCluster[addr]; ok {
			return name
		}
		return rec.ClusterName()
	}
	names := cfg.ClusterNames()
	byName := map[string]*Part{}
	part := func(name string) *Part {
		if p := byName[name]; p != nil {
			return p
		}
		sub := *cfg
		sub.Certificates, sub.CABundles, sub.Imports = nil, nil, nil
		p := &Part{Cluster: name, Config: &sub, Prior: &state.State{Lineage: prior.Lineage, Serial: prior.Serial,
			Certificates: map[string]*state.Certificate{}, Bundles: map[string]*state.Bundle{}, Outputs: prior.Outputs}}
		byName[name] = p
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		return p
	}
	for _, c := range cfg.Certificates {
		p := part(c.Cluster)
		p.Config.Certificates = append(p.Config.Certificates, c)
	}
	for _, b := range cfg.CABundles {
		p := part(b.Cluster)
		p.Config.CABundles = append(p.Config.CABundles, b)
	}
	for _, imp := range cfg.Imports {
		if name, ok := certCluster[imp.To.Addr]; ok {
			p := part(name)
			p.Config.Imports = append(p.Config.Imports, imp)
		}
	}
	for addr, rec := range prior.Certificates {
		part(clusterOfRecord(addr, rec.Cluster)).Prior.Certificates[addr] = rec
	}
	for addr, b := range prior.Bundles {
		name, ok := bundleCluster[addr]
		if !ok {
			name = b.Cluster.ClusterName()
		}
		part(name).Prior.Bundles[addr] = b
	}
	if len(byName) <= 1 && (len(byName) == 0 || byName[config.DefaultCluster] != nil) {
		return []Part{{Cluster: config.DefaultCluster, Config: cfg, Prior: prior}}
	}
	var out []Part
	for _, name := range names {
		if p := byName[name]; p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// Addrs lists the addresses of p: configured and recorded, sorted.
func (p Part) Addrs() []string {
	set := map[string]bool{}
	for _, c := range p.Config.Certificates {
		set[c.Addr] = true
	}
	for _, b := range p.Config.CABundles {
		set[b.Addr] = true
	}
	for addr := range p.Prior.Certificates {
		set[addr] = true
	}
	for addr := range p.Prior.Bundles {
		set[addr] = true
	}
	out := make([]string, 0, len(set))
	for addr := range set {
		out = append(out, addr)
	}
	slices.Sort(out)
	return out
}

// IdentityError refuses to plan a part against a cluster other than the
// one its records were applied to: a kubeconfig context re-pointed at
// another cluster must not look like drift to be repaired there.
type IdentityError struct {
	Cluster  string
	Recorded state.Cluster // as state records it
	Observed state.Cluster // as reached now
	Addrs    []string      // the records bound to Recorded
}

func (e *IdentityError) Error() string {
	return fmt.Sprintf("cluster %q is not the cluster its %d address(es) were applied to: state records %s, but the configuration now reaches %s; "+
		"certform refuses to act on %s", e.Cluster, len(e.Addrs), describe(e.Recorded), describe(e.Observed), strings.Join(e.Addrs, ", "))
}

func describe(c state.Cluster) string {
	s := "the cluster"
	if c.Server != "" {
		s += " at " + c.Server
	}
	return s + " with kube-system UID " + c.UID
}

// CheckIdentity compares the identity of the cluster p now reaches with
// the one its records were bound to. Records bound to another identity
// make an IdentityError, unless rebind says the cluster was replaced on
// purpose; unbound records (a state from before fleets) are adopted.
// Records bound under another cluster's name are CheckHome's.
func (p Part) CheckIdentity(observed state.Cluster, rebind bool) *IdentityError {
	if rebind || !observed.Bound() {
		return nil
	}
	var e *IdentityError
	check := func(addr string, rec state.Cluster) {
		if !rec.Bound() || rec.UID == observed.UID || rec.ClusterName() != p.Cluster { // another name: CheckHome's
			return
		}
		if e == nil {
			e = &IdentityError{Cluster: p.Cluster, Recorded: rec, Observed: observed}
		}
		e.Addrs = append(e.Addrs, addr)
	}
	for addr, rec := range p.Prior.Certificates {
		check(addr, rec.Cluster)
	}
	for addr, b := range p.Prior.Bundles {
		check(addr, b.Cluster)
	}
	if e != nil {
		slices.Sort(e.Addrs)
	}
	return e
}

// HeldBy returns the name of another cluster than name whose records in
// prior are bound to the identity observed, or "": a cluster taken over
// with --rebind-cluster NAME must not be one state already knows under
// another name (a swapped kubeconfig context, not a replaced cluster).
func HeldBy(prior *state.State, name string, observed state.Cluster) string {
	if !observed.Bound() {
		return ""
	}
	var names []string
	held := func(rec state.Cluster) {
		if rec.Bound() && rec.UID == observed.UID && rec.ClusterName() != name && !slices.Contains(names, rec.ClusterName()) {
			names = append(names, rec.ClusterName())
		}
	}
	for _, rec := range prior.Certificates {
		held(rec.Cluster)
	}
	for _, b := range prior.Bundles {
		held(b.Cluster)
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	return names[0]
}

// Merge joins the plans of a fleet's parts into one plan of prior, made
// at now: changes and bundles stay sorted by address.
func Merge(prior *state.State, now time.Time, parts []*Plan) *Plan {
	if len(parts) == 1 {
		return parts[0]
	}
	p := &Plan{Lineage: prior.Lineage, Serial: prior.Serial, Created: now, CAContent: map[string][]byte{}}
	for _, part := range parts {
		p.Changes = append(p.Changes, part.Changes...)
		p.Bundles = append(p.Bundles, part.Bundles...)
		for addr, content := range part.CAContent {
			p.CAContent[addr] = content
		}
		p.Blocked = append(p.Blocked, part.Blocked...)
		p.Conflicts = append(p.Conflicts, part.Conflicts...)
	}
	slices.SortFunc(p.Changes, func(a, b *Change) int { return strings.Compare(a.Addr, b.Addr) })
	slices.SortFunc(p.Bundles, func(a, b *BundleChange) int { return strings.Compare(a.Addr, b.Addr) })
	return p
}

// Only is the share of p for the addresses of part: what apply executes in
// that part's cluster.
func (p *Plan) Only(part Part) *Plan {
	in := map[string]bool{}
	for _, addr := range part.Addrs() {
		in[addr] = true
	}
	out := *p
	out.Changes, out.Bundles = nil, nil
	for _, ch := range p.Changes {
		if in[ch.Addr] || (ch.PrevAddr != "" && in[ch.PrevAddr]) {
			out.Changes = append(out.Changes, ch)
		}
	}
	for _, b := range p.Bundles {
		if in[b.Addr] {
			out.Bundles = append(out.Bundles, b)
		}
	}
	return &out
}

// Without returns p without the given addresses: neither configured nor
// recorded, so the plan neither acts on them nor deletes them, and apply
// leaves their records as they are (a bundle whose source is in a
// cluster that cannot be reached now).
func (p Part) Without(addrs map[string]bool) Part {
	if len(addrs) == 0 {
		return p
	}
	sub := *p.Config
	sub.Certificates, sub.CABundles = nil, nil
	for _, c := range p.Config.Certificates {
		if !addrs[c.Addr] {
			sub.Certificates = append(sub.Certificates, c)
		}
	}
	for _, b := range p.Config.CABundles {
		if !addrs[b.Addr] {
			sub.CABundles = append(sub.CABundles, b)
		}
	}
	prior := &state.State{Lineage: p.Prior.Lineage, Serial: p.Prior.Serial, Outputs: p.Prior.Outputs,
		Certificates: map[string]*state.Certificate{}, Bundles: map[string]*state.Bundle{}}
	for addr, rec := range p.Prior.Certificates {
		if !addrs[addr] {
			prior.Certificates[addr] = rec
		}
	}
	for addr, b := range p.Prior.Bundles {
		if !addrs[addr] {
			prior.Bundles[addr] = b
		}
	}
	return Part{Cluster: p.Cluster, Config: &sub, Prior: prior}
}
