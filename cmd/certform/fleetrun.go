package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/certform/certform/apply"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/refresh"
	"github.com/certform/certform/state"
)

// planFleet observes and plans every live part of f at once, and joins
// the plans. A part whose observation fails is left out (f.failed says
// why), unless it is the only one: then its error is the plan's.
func (w *workspace) planFleet(ctx context.Context, f *fleet, prior *state.State, opts plan.Options, now time.Time) (*plan.Plan, error) {
	others := f.clients(ctx, w)
	f.withholdUnreachableSources(w)
	parts := f.live()
	plans := make([]*plan.Plan, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			plans[i], errs[i] = w.planPart(ctx, part, f.conns[part.Cluster], others, opts, now)
		}()
	}
	wg.Wait()
	var done []*plan.Plan
	for i, part := range parts {
		switch {
		case errs[i] == nil:
			done = append(done, plans[i])
		case len(f.parts) == 1:
			return nil, errs[i]
		default:
			f.fail(part, errs[i])
		}
	}
	if len(done) == 0 {
		return &plan.Plan{Lineage: prior.Lineage, Serial: prior.Serial, Created: now, CAContent: map[string][]byte{}}, nil
	}
	return plan.Merge(prior, now, done), nil
}

// planPart observes one cluster's share of the world and plans it, once
// its on_change.restart workloads are known to be patchable there.
func (w *workspace) planPart(ctx context.Context, part plan.Part, c *clusterConn, others refresh.Clients, opts plan.Options, now time.Time) (*plan.Plan, error) {
	if !opts.Destroy {
		if err := checkRestartAccess(ctx, c.cs, part.Config, opts.Targets); err != nil {
			return nil, err
		}
	}
	moved := plan.Moved(part.Config, part.Prior)
	world, err := refresh.RefreshIn(ctx, part.Config, moved, c.cs, others, w.keys, w.fileIndex)
	if err != nil {
		return nil, refreshHint(err)
	}
	p, err := plan.MakeListing(part.Config, part.Prior, world, now, opts, func(world *plan.World) error {
		return refresh.ListCSRs(ctx, c.cs, moved, world)
	})
	if err != nil {
		return nil, refreshHint(err)
	}
	return p, nil
}

// clients returns the clients of every reachable cluster, connecting to
// those that only bundle sources name.
func (f *fleet) clients(ctx context.Context, w *workspace) refresh.Clients {
	out := refresh.Clients{}
	for _, b := range w.cfg.CABundles {
		for _, src := range b.Sources {
			if src.Cluster != b.Cluster && f.conns[src.Cluster] == nil {
				f.conns[src.Cluster] = w.conn(src.Cluster)
			}
		}
	}
	for name, c := range f.conns {
		if c.identify(ctx, w) == nil {
			out[name] = c.cs
		}
	}
	return out
}

// withholdUnreachableSources leaves out of their parts the bundles that
// read a source in a cluster that cannot be reached, and the certificates
// whose ca_file is such a bundle: the rest of their cluster goes on.
func (f *fleet) withholdUnreachableSources(w *workspace) {
	for i, part := range f.parts {
		out := map[string]bool{}
		for _, b := range part.Config.CABundles {
			for _, src := range b.Sources {
				if c := f.conns[src.Cluster]; src.Cluster != b.Cluster && c != nil && c.err != nil && out[b.Addr] == false {
					out[b.Addr] = true
					f.withhold(b.Addr, fmt.Errorf("its source in cluster %q cannot be read: that cluster cannot be reached", src.Cluster))
				}
			}
		}
		for _, c := range part.Config.Certificates {
			if out[c.Output.CABundle] {
				out[c.Addr] = true
				f.withhold(c.Addr, fmt.Errorf("its ca_file is %s, left out", c.Output.CABundle))
			}
		}
		f.parts[i] = part.Without(out)
	}
}

// applyFleet applies p: with one cluster as it is, with several each
// live part in its own cluster at once, and returns the joined state
// with every cluster's identity recorded on its records.
func (w *workspace) applyFleet(ctx context.Context, p *plan.Plan, prior *state.State, opts apply.Options) (*state.State, error) {
	f := w.fleet
	if len(f.parts) == 1 {
		cs := f.conns[f.parts[0].Cluster].cs
		opts.CSRs, opts.Core, opts.Apps, opts.TrustBundles = cs.CertificatesV1().CertificateSigningRequests(), cs.CoreV1(), cs.AppsV1(), kube.ServedTrustBundles(cs)
		final, err := apply.Apply(ctx, p, w.cfg, prior, opts)
		f.bind(final)
		return final, err
	}
	parts := f.live()
	results := make([]*state.State, len(parts))
	errs := make([]error, len(parts))
	var mu sync.Mutex
	record := opts.Record
	opts.SharedKeys = true
	var wg sync.WaitGroup
	for i, part := range parts {
		sub := p.Only(part)
		if !sub.HasChanges() {
			results[i] = part.Prior
			continue
		}
		c := f.conns[part.Cluster]
		o := opts
		o.CSRs, o.Core, o.Apps, o.TrustBundles = c.cs.CertificatesV1().CertificateSigningRequests(), c.cs.CoreV1(), c.cs.AppsV1(), kube.ServedTrustBundles(c.cs)
		if record != nil {
			o.Record = func(changes map[string]*state.Certificate) error {
				mu.Lock()
				defer mu.Unlock()
				return record(bound(changes, c.id))
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = apply.Apply(ctx, sub, part.Config, part.Prior, o)
		}()
	}
	wg.Wait()
	final := prior.DeepCopy()
	for i, part := range parts {
		for addr := range part.Prior.Certificates {
			delete(final.Certificates, addr)
		}
		for addr := range part.Prior.Bundles {
			delete(final.Bundles, addr)
		}
		for addr, rec := range results[i].Certificates {
			final.Certificates[addr] = rec.DeepCopy()
		}
		for addr, b := range results[i].Bundles {
			final.Bundles[addr] = b.DeepCopy()
		}
	}
	f.bind(final)
	if err := apply.CleanKeys(opts.Keys, final); err != nil {
		errs = append(errs, err)
	}
	return final, errors.Join(errs...)
}

// bound returns changes with each record carrying the identity id, for
// the journal: a run killed after it keeps the binding.
func bound(changes map[string]*state.Certificate, id state.Cluster) map[string]*state.Certificate {
	if !id.Bound() {
		return changes
	}
	out := make(map[string]*state.Certificate, len(changes))
	for addr, rec := range changes {
		if rec != nil {
			rec = rec.DeepCopy()
			rec.Cluster = id
		}
		out[addr] = rec
	}
	return out
}
