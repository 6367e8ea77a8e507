package apply

import (
	"fmt"
	"slices"
	"strings"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// schedule is the order in which a plan's changes may run when outputs
// move onto paths that other addresses still hold in state: 6 certificates
// shifted by one path must not overwrite a neighbour's key before the
// neighbour has moved it away.
type schedule struct {
	// changes in an order where every change comes after the changes it
	// waits for, so a waiting change never holds up one it waits for.
	changes []*plan.Change
	// after lists, by address, the addresses that must finish before it
	// starts, with the path that makes it wait.
	after map[string][]dependency
	// blocked holds the addresses that cannot run at all, with the reason.
	blocked map[string]error
}

// dependency is one address another waits for, and why.
type dependency struct {
	addr string
	path string // the path the waiting address writes and addr still holds
}

// order schedules changes. An address that writes a path another address
// holds in prior (its key, certificate or other output as recorded) runs
// after that address's change, which reads the file and moves it away or
// deletes it. It refuses, address by address, what cannot be ordered: a
// path held by an address with no change in this plan (say, left out by
// --target), and addresses that exchange paths in a cycle. Relative paths
// are in dir, the configuration directory.
func order(changes []*plan.Change, cfg map[string]*config.Certificate, prior *state.State, dir workdir.Dir) schedule {
	s := schedule{after: map[string][]dependency{}, blocked: map[string]error{}}
	wd := dir.Abs(".")
	abs := func(p string) string { return absFrom(wd, p) } // not a Getwd per path
	holder := map[string]string{}                          // absolute path → address holding it in prior
	for addr, rec := range prior.Certificates {
		for p := range rec.Files {
			holder[abs(p)] = addr
		}
	}
	active := map[string]bool{}
	for _, ch := range changes {
		active[ch.Addr] = ch.Action != plan.NoOp
	}
	for _, ch := range changes {
		c := cfg[ch.Addr]
		if !active[ch.Addr] || ch.Action == plan.Delete || ch.Action == plan.Forget || c == nil {
			continue
		}
		for _, out := range plan.Outputs(c) {
			owner, held := holder[abs(out.Path)]
			switch {
			case !held || owner == ch.Addr:
			case active[owner]:
				s.after[ch.Addr] = append(s.after[ch.Addr], dependency{addr: owner, path: out.Path})
			default:
				s.blocked[ch.Addr] = fmt.Errorf("not started: it writes %s, which state still records as %s's file and this plan does not move; apply %s in the same run (add it to --target)",
					out.Path, owner, owner)
			}
		}
	}
	s.changes = s.sort(changes)
	return s
}

// sort orders changes so each comes after those it waits for, keeping the
// plan's order otherwise, and blocks the addresses of a cycle.
func (s *schedule) sort(changes []*plan.Change) []*plan.Change {
	byAddr := map[string]*plan.Change{}
	for _, ch := range changes {
		byAddr[ch.Addr] = ch
	}
	const (
		unvisited = iota
		visiting
		visited
	)
	mark := map[string]int{}
	var out []*plan.Change
	var visit func(addr string, path []string)
	visit = func(addr string, path []string) {
		switch mark[addr] {
		case visited:
			return
		case visiting:
			cycle := slices.Concat(path[slices.Index(path, addr):], []string{addr})
			for _, a := range cycle {
				s.blocked[a] = fmt.Errorf("not started: %s exchange output paths in a cycle, which cannot be done without overwriting a file before it is moved; move one of them to a new path first, apply, then finish the exchange",
					strings.Join(cycle, " → "))
			}
			return
		}
		mark[addr] = visiting
		for _, d := range s.after[addr] {
			visit(d.addr, append(path, addr))
		}
		mark[addr] = visited
		out = append(out, byAddr[addr])
	}
	for _, ch := range changes {
		visit(ch.Addr, nil)
	}
	return out
}
