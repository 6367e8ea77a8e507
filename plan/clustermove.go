package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/certform/certform/state"
)

// ClusterMove is one record that the configuration now places in another
// cluster than the one it lives in.
type ClusterMove struct {
	Addr string // the address in state
	// To is the address a moved block or state mv gave it; "" when the
	// block kept its address and its cluster changed.
	To   string
	From state.Cluster // where it lives, as state records it
}

// ClusterMoveError refuses records that a moved block, a state mv or a
// changed cluster argument would carry into another cluster. A record is
// a CSR, a Secret and bundle objects in the cluster it was applied to:
// none of them moves with the address, so planning the record against the
// new cluster would lose track of them there and reissue into the new one
// as if it were drift. Moving between clusters is a delete in one and a
// create in the other, written down as such (docs/fleets.md).
type ClusterMoveError struct {
	Cluster  string        // the cluster the configuration now puts them in
	Observed state.Cluster // that cluster as reached ("" UID: not readable)
	Moves    []ClusterMove // sorted by Addr
}

func (e *ClusterMoveError) Error() string {
	lines := make([]string, len(e.Moves))
	for i, m := range e.Moves {
		what := m.Addr
		if m.To != "" {
			what = fmt.Sprintf("%s (moved to %s)", m.Addr, m.To)
		}
		lines[i] = fmt.Sprintf("%s lives in %s", what, m.From)
	}
	why := "a certificate's CSR and Secret, and a bundle's objects, stay in the cluster they were applied to"
	if !e.Observed.Bound() {
		why = fmt.Sprintf("cluster %q's identity is not known (its kube-system cannot be read, or --refresh=false did not read it), so it cannot be the same cluster under a new name; %s", e.Cluster, why)
	}
	return fmt.Sprintf("%d address(es) would move into cluster %q from another cluster:\n      %s\n    certform refuses to act on them: %s",
		len(e.Moves), e.Cluster, strings.Join(lines, "\n      "), why)
}

// CheckHome finds the records of p that state binds to a cluster of
// another name than p's and whose identity is not the one p's cluster has
// now (observed): records a move or a changed cluster argument would
// carry across clusters. A record bound under another name to the very
// cluster reached (a kubernetes block renamed) stays. Unbound records (a
// state from before fleets) cannot be told apart and are adopted, as
// CheckIdentity adopts them. --rebind-cluster does not apply: it takes a
// replaced cluster over, not another cluster's records.
func (p Part) CheckHome(observed state.Cluster) *ClusterMoveError {
	var moved map[string]string // old address → new
	var e *ClusterMoveError
	check := func(addr string, rec state.Cluster) {
		if !rec.Bound() || rec.ClusterName() == p.Cluster || observed.Bound() && rec.UID == observed.UID {
			return
		}
		if moved == nil {
			moved = map[string]string{}
			moves, _ := resolveMoves(p.Config, p.Prior)
			for _, m := range moves {
				moved[m.from] = m.to
			}
		}
		if e == nil {
			e = &ClusterMoveError{Cluster: p.Cluster, Observed: observed}
		}
		e.Moves = append(e.Moves, ClusterMove{Addr: addr, To: moved[addr], From: rec})
	}
	for addr, rec := range p.Prior.Certificates {
		check(addr, rec.Cluster)
	}
	for addr, b := range p.Prior.Bundles {
		check(addr, b.Cluster)
	}
	if e != nil {
		slices.SortFunc(e.Moves, func(a, b ClusterMove) int { return strings.Compare(a.Addr, b.Addr) })
	}
	return e
}
