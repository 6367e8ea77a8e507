package apply

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// DefaultParallelism is how many addresses are worked on at once.
const DefaultParallelism = 10

// Options configure Apply.
type Options struct {
	CSRs        kube.CSRs
	Keys        keystore.Store
	Parallelism int
	// WaitTimeout bounds the wait for each CSR; 0 means 15 minutes.
	WaitTimeout time.Duration
	// NoWait submits and returns, leaving CSRs pending for a later run.
	NoWait bool
	// Persist saves state; it is called after every finished address.
	Persist func(*state.State) error
	// Report receives progress events; it may be nil.
	Report func(Event)
	// Now is the clock used to verify certificates; nil means time.Now.
	Now func() time.Time
}

// runner is one Apply call's shared context.
type runner struct {
	opts    Options
	cfg     map[string]*config.Certificate
	lineage string
	watcher *kube.Watcher

	mu    sync.Mutex // guards state and persisting
	state *state.State
}

// Apply executes p against prior and returns the new state, which holds
// every address that finished even when others failed. The returned error
// joins the failures, one per address.
func Apply(ctx context.Context, p *plan.Plan, cfg *config.Config, prior *state.State, opts Options) (*state.State, error) {
	if opts.Parallelism <= 0 {
		opts.Parallelism = DefaultParallelism
	}
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = 15 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &runner{opts: opts, cfg: map[string]*config.Certificate{}, lineage: prior.Lineage, state: prior.DeepCopy()}
	for _, c := range cfg.Certificates {
		r.cfg[c.Addr] = c
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	if needsWatch(p) && !opts.NoWait {
		r.watcher = kube.NewWatcher(opts.CSRs, kube.Selector(r.lineage))
		go r.watcher.Run(watchCtx)
	}

	var (
		errsMu sync.Mutex
		errs   []error
		wg     sync.WaitGroup
		slots  = make(chan struct{}, opts.Parallelism)
	)
	for _, ch := range p.Changes {
		if ch.Action == plan.NoOp {
			continue
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("%s: not started: %w", ch.Addr, ctx.Err()))
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			start := time.Now()
			if err := r.change(ctx, ch); err != nil {
				r.report(Event{Addr: ch.Addr, Phase: PhaseFailed, Message: err.Error(), Elapsed: time.Since(start)})
				errsMu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", ch.Addr, err))
				errsMu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.cleanKeys(); err != nil {
		errs = append(errs, err)
	}
	return r.state, errors.Join(errs...)
}

func needsWatch(p *plan.Plan) bool {
	for _, ch := range p.Changes {
		if ch.Action.Issues() || ch.Action == plan.Wait {
			return true
		}
	}
	return false
}

func (r *runner) change(ctx context.Context, ch *plan.Change) error {
	switch ch.Action {
	case plan.Create, plan.Renew, plan.Replace:
		return r.issue(ctx, ch)
	case plan.Wait:
		return r.resume(ctx, ch)
	case plan.Update:
		return r.update(ctx, ch)
	case plan.Delete:
		return r.delete(ctx, ch)
	}
	panic(fmt.Sprintf("apply: unknown action %q", ch.Action))
}

func (r *runner) report(ev Event) {
	if r.opts.Report != nil {
		r.opts.Report(ev)
	}
}

// record stores c (or removes addr when c is nil) and persists state.
func (r *runner) record(addr string, c *state.Certificate) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c == nil {
		delete(r.state.Certificates, addr)
	} else {
		r.state.Certificates[addr] = c
	}
	if r.opts.Persist == nil {
		return nil
	}
	if err := r.opts.Persist(r.state); err != nil {
		return fmt.Errorf("persisting state: %w", err)
	}
	return nil
}

// cleanKeys removes pending keys that no pending record refers to: keys of
// certificates that were issued, or of runs that died before recording.
func (r *runner) cleanKeys() error {
	have, err := r.opts.Keys.Fingerprints()
	if err != nil {
		return err
	}
	for fp := range have {
		used := false
		for _, c := range r.state.Certificates {
			used = used || (c.Status == state.StatusPending && c.KeySHA256 == fp)
		}
		if !used {
			if err := r.opts.Keys.Delete(fp); err != nil {
				return err
			}
		}
	}
	return nil
}
