package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/certform/certform/config"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// openStateOnly opens the state backend from the configuration's backend
// and kubernetes blocks alone, as the state commands and status need: they
// work without the variable values (or var files) that planning needs.
func openStateOnly(g *GlobalOptions, s Streams, readOnly bool) (*workspace, error) {
	w, err := loadSettings(g, s)
	if err == nil {
		err = w.setBackend()
	}
	if err == nil {
		_, err = w.checkBackend(!readOnly)
	}
	return w, err
}

// fullConfig evaluates the whole configuration for a command that uses it
// only when it can (status's renewal windows, state mv's check), without
// printing its diagnostics: nil, with the first error, when it does not
// load, e.g. for want of a variable's value.
func (w *workspace) fullConfig(g *GlobalOptions) (*config.Config, string) {
	cfg, _, diags := config.Load(".", config.Inputs{Args: g.Vars, Env: os.Environ(), Workspace: w.ws, Dir: g.base})
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return nil, d.Summary
		}
	}
	return cfg, ""
}

// stateMove is state mv FROM TO: one record, or every instance of a
// for_each block (FROM and TO both without a key). Nothing moves unless
// everything can. It warns about a destination the configuration does
// not declare: the next plan would delete it.
func stateMove(ctx context.Context, g *GlobalOptions, w *workspace, st *state.State, from, to string, s Streams) (int, error) {
	src, err := plan.ParseAddr(from)
	if err != nil {
		return exitError, err
	}
	dst, err := plan.ParseAddr(to)
	if err != nil {
		return exitError, withHint(err, `write it as certificate.NAME or certificate.NAME["KEY"]`)
	}
	if src.Kind != "certificate" || dst.Kind != "certificate" {
		return exitError, fmt.Errorf("state mv moves certificates; %s to %s is not a move between certificate addresses", from, to)
	}
	moves := map[string]string{} // from → to
	if _, ok := st.Certificates[from]; ok {
		moves[from] = to
	} else if !src.HasKey {
		for _, addr := range st.Addrs() {
			a, err := plan.ParseAddr(addr)
			if err != nil || !a.HasKey || a.Block() != src.Block() {
				continue
			}
			if dst.HasKey {
				return exitError, withHint(fmt.Errorf("%s is a block with for_each instances (%s); it cannot become the one instance %s", from, addr, to),
					"move the block to a block (certform state mv "+from+" "+dst.Block()+"), or move each instance")
			}
			b := dst
			b.Key, b.HasKey = a.Key, true
			moves[addr] = b.String()
		}
	}
	if len(moves) == 0 {
		return exitError, noRecord(from, st)
	}
	for _, dest := range moves {
		if _, taken := st.Certificates[dest]; taken {
			return exitError, withHint(fmt.Errorf("%s is already in state", dest), "remove it first with certform state rm "+dest)
		}
	}
	for _, addr := range slices.Sorted(maps.Keys(moves)) {
		rec := st.Certificates[addr]
		delete(st.Certificates, addr)
		rec.Addr = moves[addr]
		st.Certificates[moves[addr]] = rec
	}
	if err := w.backend.Persist(ctx, st); err != nil {
		return exitError, err
	}
	for _, addr := range slices.Sorted(maps.Keys(moves)) {
		fmt.Fprintf(s.Out, "Moved %s to %s.\n", addr, moves[addr])
	}
	warnUnconfigured(g, w, st, slices.Collect(maps.Values(moves)), s)
	return exitOK, nil
}

// warnUnconfigured warns about addresses the configuration does not
// declare, or declares in another cluster than the one their record is
// bound to (the next plan refuses those, docs/fleets.md), or that it
// could not check them.
func warnUnconfigured(g *GlobalOptions, w *workspace, st *state.State, addrs []string, s Streams) {
	cfg, problem := w.fullConfig(g)
	if cfg == nil {
		fmt.Fprintf(s.Err, "certform: warning: the configuration did not load (%s), so the new addresses were not checked against it\n", problem)
		return
	}
	slices.Sort(addrs)
	for _, addr := range addrs {
		i := slices.IndexFunc(cfg.Certificates, func(c *config.Certificate) bool { return c.Addr == addr })
		if i < 0 {
			fmt.Fprintf(s.Err, "certform: warning: %s is not in the configuration: the next plan deletes its files, Secret and CSR unless a block declares it\n", addr)
			continue
		}
		if rec := st.Certificates[addr]; rec.Cluster.Bound() && rec.Cluster.ClusterName() != cfg.Certificates[i].Cluster {
			fmt.Fprintf(s.Err, "certform: warning: %s is declared in cluster %q, but it lives in %s: the next plan refuses it unless both names reach the same cluster; "+
				"a move does not carry a certificate to another cluster (docs/fleets.md)\n", addr, cfg.Certificates[i].Cluster, rec.Cluster)
		}
	}
}
