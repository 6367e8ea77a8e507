package apply

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	appsv1client "k8s.io/client-go/kubernetes/typed/apps/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/samefile"
	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// DefaultParallelism is how many addresses are worked on at once.
const DefaultParallelism = 10

// MaxParallelism bounds Options.Parallelism: each unit is a goroutine and
// a few channel slots, and beyond this the API server's client-side rate
// limit, not parallelism, decides the pace.
const MaxParallelism = 1000

// Options configure Apply.
type Options struct {
	CSRs kube.CSRs
	// Core writes CA bundle ConfigMaps and TLS Secrets; needed only when
	// the plan has them.
	Core corev1client.CoreV1Interface
	// Apps restarts workloads (on_change.restart); needed only when the
	// plan has such actions.
	Apps appsv1client.AppsV1Interface
	// TrustBundles, when set, is where the CAs a signer publishes are
	// looked up (ClusterTrustBundles), to check issued certificates' issuer.
	TrustBundles kube.TrustBundles
	Keys         keystore.Store
	Parallelism  int
	// WaitTimeout bounds the wait for each CSR; 0 means 15 minutes.
	WaitTimeout time.Duration
	// NoWait submits and returns, leaving CSRs pending for a later run.
	NoWait bool
	// Record makes changes durable (address → record, nil for removed),
	// e.g. by appending them to the state's journal. Apply calls it as
	// addresses progress, batching changes that arrive together; the caller
	// persists the full state returned at the end. Nil: nothing is recorded.
	Record func(changes map[string]*state.Certificate) error
	// Report receives progress events; it may be nil.
	Report func(Event)
	// Now is the clock used to verify certificates; nil means time.Now.
	Now func() time.Time
	// SharedKeys says other Apply calls use Keys at the same time (one per
	// cluster of a fleet): Apply then leaves removing unused pending keys
	// to the caller, who calls CleanKeys once with the joined state, since
	// a key this call does not know may be another's CSR in flight.
	SharedKeys bool
}

// runner is one Apply call's shared context.
type runner struct {
	opts    Options
	cfg     map[string]*config.Certificate
	lineage string
	watcher *kube.Watcher
	// secretKeys reads keystore password Secrets, each once per run.
	secretKeys *kube.SecretKeys
	// confined says which files state names that may be deleted.
	confined *confinement
	// dir is the configuration directory (config.Config.Dir): paths are
	// recorded and reported as written, and placed on disk with dir.Path.
	dir workdir.Dir

	here      state.Origin              // where this run writes files, recorded with them
	listed    clusterCSRs               // this lineage's CSRs, listed once when there is no watcher
	caContent map[string][]byte         // each ca_bundle's content, for ca_file and Secrets
	caPools   map[string]*x509.CertPool // the same, parsed once, to verify against
	// signers: the CAs each signer publishes, looked up once (trust.go);
	// unverified: signers already warned about. Both guarded by mu.
	signers    map[string]*signerTrust
	unverified map[string]bool

	signerGrace time.Duration // signerGrace as the run began

	api   chan struct{} // slots for stages that call the API server
	local chan struct{} // slots for stages that generate keys or write files

	mu    sync.Mutex // guards state and the commit counters
	state *state.State
	// Group commit (commit.go): changes are numbered; one caller at a time persists
	// everything recorded so far while the others wait for a commit that
	// covers their change. Hundreds of addresses finishing together then
	// cost a few state writes, not hundreds, and each still returns only
	// once its record is durable.
	committed  sync.Cond
	changes    uint64 // changes recorded
	durable    uint64 // changes covered by the last finished commit
	committing bool
	failed     []failedCommit                // commits that failed, with the changes they covered
	unsaved    map[string]*state.Certificate // changes since the last commit
	unsynced   map[string]bool               // directories to sync before the next commit
	// actionErrs are after-change actions that failed (guarded by mu):
	// reported after everything else, since the certificates are in place.
	actionErrs []error
}

// Apply executes p against prior and returns the new state, which holds
// every address that finished even when others failed. The returned error
// joins the failures, one per address.
func Apply(ctx context.Context, p *plan.Plan, cfg *config.Config, prior *state.State, opts Options) (*state.State, error) {
	if opts.Parallelism <= 0 {
		opts.Parallelism = DefaultParallelism
	}
	opts.Parallelism = min(opts.Parallelism, MaxParallelism)
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = 15 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if writesFiles(p) {
		// Checked again here, not only at plan time: a saved plan is
		// applied later, and links may have changed since.
		if err := samefile.Check(cfg, opts.Keys.Dir); err != nil {
			return prior.DeepCopy(), err
		}
	}
	confined, err := newConfinement(cfg, prior, opts.Keys.Dir)
	if err != nil {
		return prior.DeepCopy(), err
	}
	r := &runner{opts: opts, cfg: map[string]*config.Certificate{}, lineage: prior.Lineage, state: prior.DeepCopy(), confined: confined, dir: cfg.Dir, here: state.Here(cfg.Dir),
		signerGrace: signerGrace}
	r.secretKeys = kube.NewSecretKeys(r.opts.Core)
	r.committed.L = &r.mu
	r.caContent, r.caPools = p.CAContent, map[string]*x509.CertPool{}
	for name, content := range p.CAContent {
		r.caPools[name] = x509.NewCertPool()
		r.caPools[name].AppendCertsFromPEM(content)
	}
	for _, c := range cfg.Certificates {
		r.cfg[c.Addr] = c
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	if needsWatch(p) && !opts.NoWait {
		r.watcher = kube.NewWatcher(opts.CSRs, kube.Selector(r.lineage))
		go r.watcher.Run(watchCtx)
	}

	if err := r.moves(ctx, p.Changes); err != nil {
		return r.state.DeepCopy(), err
	}
	r.mu.Lock()
	moved := r.state.DeepCopy() // who holds which path, after the moves
	r.mu.Unlock()
	errs := r.work(ctx, order(p.Changes, r.cfg, moved, cfg.Dir))
	switch {
	case ctx.Err() == nil && len(errs) == 0:
		errs = append(errs, r.bundles(ctx, p.Bundles)...)
	case slices.ContainsFunc(p.Bundles, func(b *plan.BundleChange) bool { return b.Action != plan.NoOp }):
		errs = append(errs, errors.New("CA bundles were not published: a certificate failed or the run was interrupted"))
	}
	r.mu.Lock()
	last := r.changes
	errs = append(errs, r.actionErrs...)
	r.mu.Unlock()
	if err := r.waitDurable(last); err != nil {
		return r.state.DeepCopy(), errors.Join(append(errs, err)...)
	}
	if err := r.commitErrors(); err != nil {
		// A change no one waited for (an issued record) was in a failed
		// commit: the run's records reached the journal only in part.
		return r.state.DeepCopy(), errors.Join(append(errs, err)...)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !opts.SharedKeys {
		if err := CleanKeys(opts.Keys, r.state); err != nil {
			errs = append(errs, err)
		}
	}
	return r.state, errors.Join(errs...)
}

// work does every address's change with bounded parallelism and
// returns one error per failed address. A change runs only once the
// changes it waits for (s.after) have finished, and not when one failed.
func (r *runner) work(ctx context.Context, s schedule) []error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		// Addresses being worked on at once; each stage inside takes its
		// own slot, so at most Parallelism are talking to the API server and
		// at most Parallelism are doing local work (keys, files). An address
		// waiting for its signer gives its place up (idle): waiting costs
		// nothing, and every CSR should reach the approver without waiting
		// for earlier ones to be signed.
		inFlight = make(chan struct{}, 3*r.opts.Parallelism)
		// Closed when an address has finished; failed says how.
		done   = map[string]chan struct{}{}
		failed sync.Map // address → true
	)
	// fail records an address's failure: an *AddrError when it was
	// reported as a PhaseFailed event, else an error naming the address.
	fail := func(addr string, err error) {
		failed.Store(addr, true)
		var reported *AddrError
		if !errors.As(err, &reported) {
			err = fmt.Errorf("%s: %w", addr, err)
		}
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	r.api = make(chan struct{}, r.opts.Parallelism)
	r.local = make(chan struct{}, r.opts.Parallelism)
	for _, ch := range s.changes {
		done[ch.Addr] = make(chan struct{})
	}
	for _, ch := range s.changes {
		if ch.Action == plan.NoOp {
			close(done[ch.Addr])
			continue
		}
		if err := s.blocked[ch.Addr]; err != nil {
			r.report(Event{Addr: ch.Addr, Phase: PhaseFailed, Message: err.Error()})
			fail(ch.Addr, &AddrError{Addr: ch.Addr, Err: err})
			close(done[ch.Addr])
			continue
		}
		select {
		case inFlight <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			fail(ch.Addr, fmt.Errorf("not started: %w", ctx.Err()))
			close(done[ch.Addr])
			continue
		}
		wg.Add(1)
		idle := sync.OnceFunc(func() { <-inFlight })
		go func() {
			defer func() { idle(); close(done[ch.Addr]); wg.Done() }()
			start := time.Now()
			err := r.awaitTurn(ctx, s.after[ch.Addr], done, &failed)
			if err == nil {
				err = r.change(ctx, ch, idle)
			}
			if err == nil && len(ch.AfterChange) > 0 {
				if aerr := r.afterChange(ctx, ch); aerr != nil {
					r.mu.Lock()
					r.actionErrs = append(r.actionErrs, aerr)
					r.mu.Unlock()
				}
			}
			if errors.Is(err, errLeftPending) {
				failed.Store(ch.Addr, true) // not done: what waits for it must not run
				return
			}
			if err != nil {
				r.report(Event{Addr: ch.Addr, Phase: PhaseFailed, Message: err.Error(), Elapsed: time.Since(start)})
				fail(ch.Addr, &AddrError{Addr: ch.Addr, Err: err})
			}
		}()
	}
	wg.Wait()
	return errs
}

// awaitTurn waits until the addresses in deps have finished, and fails
// when one of them failed: the file it still holds must not be overwritten.
// Those addresses were started earlier (schedule.changes), so waiting here
// never holds up one of them.
func (r *runner) awaitTurn(ctx context.Context, deps []dependency, done map[string]chan struct{}, failed *sync.Map) error {
	for _, d := range deps {
		select {
		case <-done[d.addr]:
		case <-ctx.Done():
			return fmt.Errorf("not started: %w", ctx.Err())
		}
		if _, bad := failed.Load(d.addr); bad {
			return fmt.Errorf("not started: it writes %s, which %s still holds, and %s did not finish", d.path, d.addr, d.addr)
		}
	}
	return nil
}

// writesFiles says whether p writes output files (anything but deletes).
func writesFiles(p *plan.Plan) bool {
	return slices.ContainsFunc(p.Changes, func(ch *plan.Change) bool {
		return ch.Action != plan.NoOp && ch.Action != plan.Delete && ch.Action != plan.Forget
	})
}

func needsWatch(p *plan.Plan) bool {
	for _, ch := range p.Changes {
		if ch.Action.Issues() || ch.Action == plan.Wait {
			return true
		}
	}
	return false
}

// change does ch; idle is called when the address starts waiting for its
// signer.
func (r *runner) change(ctx context.Context, ch *plan.Change, idle func()) error {
	switch ch.Action {
	case plan.Create, plan.Renew, plan.Replace:
		return r.issue(ctx, ch, idle)
	case plan.Wait:
		return r.resume(ctx, ch, idle)
	case plan.Update:
		return r.stage(ctx, r.api, func() error { return r.update(ctx, ch) })
	case plan.Delete:
		return r.stage(ctx, r.api, func() error { return r.delete(ctx, ch) })
	case plan.Forget:
		return r.stage(ctx, r.api, func() error { return r.forget(ctx, ch) })
	case plan.Import:
		return r.stage(ctx, r.api, func() error { return r.importPair(ctx, ch) })
	}
	panic(fmt.Sprintf("apply: unknown action %q", ch.Action))
}

// stage runs fn holding a slot of sem.
func (r *runner) stage(ctx context.Context, sem chan struct{}, fn func() error) error {
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-sem }()
	return fn()
}

func (r *runner) report(ev Event) {
	if r.opts.Report != nil {
		r.opts.Report(ev)
	}
}

// CleanKeys removes pending keys that no pending or submitting record of
// st refers to: keys of certificates that were issued, of submissions that
// were refused or superseded, or of runs that died before recording a
// submission (and so before creating its CSR).
func CleanKeys(keys keystore.Store, st *state.State) error {
	have, err := keys.Fingerprints()
	if err != nil {
		return err
	}
	inFlight := map[string]bool{}
	for _, c := range st.Certificates {
		if c.InFlight() {
			inFlight[c.KeySHA256] = true
		}
	}
	for fp := range have {
		if !inFlight[fp] {
			if err := keys.Delete(fp); err != nil {
				return err
			}
		}
	}
	return nil
}
