package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// identityTimeout bounds the read of a cluster's identity: a cluster that
// does not answer in time fails its own addresses, not the whole run.
const identityTimeout = 30 * time.Second

// clusterConn is one cluster of a fleet as this run reaches it.
type clusterConn struct {
	name   string
	once   sync.Once // connect
	idOnce sync.Once // identify
	cs     kubernetes.Interface
	// id is the identity reached: UID "" when kube-system could not be
	// read (idErr says why), and then nothing is checked or recorded.
	id    state.Cluster
	idErr error
	err   error // the cluster cannot be used in this run
}

// conn returns the connection to the named cluster, made once per run.
func (w *workspace) conn(name string) *clusterConn {
	w.connMu.Lock()
	defer w.connMu.Unlock()
	if w.conns == nil {
		w.conns = map[string]*clusterConn{}
	}
	if c := w.conns[name]; c != nil {
		return c
	}
	c := &clusterConn{name: name, id: state.Cluster{Name: name}}
	w.conns[name] = c
	return c
}

// connect makes the client of c.
func (c *clusterConn) connect(ctx context.Context, w *workspace) error {
	c.once.Do(func() {
		opts, err := w.clusterOptions(c.name)
		if err != nil {
			c.err = err
			return
		}
		if c.name == config.DefaultCluster {
			if c.cs, c.err = w.clientset(); c.err != nil {
				return
			}
		}
		rc, err := kube.RESTConfig(opts)
		if err != nil {
			c.err = withHint(err, fmt.Sprintf("check the kubernetes %q block: its kubeconfig and context", c.name))
			return
		}
		c.id.Server = rc.Host
		if c.cs == nil {
			c.cs, c.err = kube.NewClientset(opts)
		}
	})
	return c.err
}

// identify reads the cluster's identity, the UID of its kube-system
// namespace, once c is connected. A cluster that does not answer cannot
// be used; one that forbids the read is used unchecked (idErr).
func (c *clusterConn) identify(ctx context.Context, w *workspace) error {
	if err := c.connect(ctx, w); err != nil {
		return err
	}
	c.idOnce.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, identityTimeout)
		defer cancel()
		ns, err := c.cs.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
		switch {
		case apierrors.IsForbidden(err):
			c.idErr = err
		case err != nil:
			c.err = refreshHint(fmt.Errorf("reaching %s: %w", c.id, err))
		default:
			c.id.UID = string(ns.UID)
		}
	})
	return c.err
}

// clusterOptions says how to reach the named cluster: the default one as
// the flags and the unnamed block say (kubeOptions), a named one as its
// block says, with --kubeconfig as its kubeconfig when it names none.
func (w *workspace) clusterOptions(name string) (kube.Options, error) {
	if name == config.DefaultCluster {
		return w.kube, nil
	}
	k := w.cfg.Clusters[name]
	if k == nil {
		return kube.Options{}, withHint(fmt.Errorf("state records addresses in cluster %q, which the configuration no longer declares", name),
			fmt.Sprintf("keep the kubernetes %q block until its addresses are destroyed or moved, or forget them with certform state rm ADDR", name))
	}
	o := kube.Options{Kubeconfig: w.cfg.Dir.Path(expandHome(k.Kubeconfig)), Context: k.Context, InCluster: k.InCluster, WrapTransport: w.kube.WrapTransport}
	if o.Kubeconfig == "" && !o.InCluster {
		o.Kubeconfig = w.kube.Kubeconfig
	}
	return o, nil
}

// fleet is one run's view of the clusters its configuration and state
// name: the parts, their connections, and the clusters left out.
type fleet struct {
	parts []plan.Part
	conns map[string]*clusterConn
	// failed says, by cluster, why its addresses are left out of the run.
	failed map[string]error
	// withheld says, by address, why an address of a live cluster is
	// left out (a bundle source in a cluster that failed).
	withheld map[string]error
}

// withhold leaves one address out of the run for err.
func (f *fleet) withhold(addr string, err error) {
	if f.withheld == nil {
		f.withheld = map[string]error{}
	}
	f.withheld[addr] = err
}

// openFleet splits the configuration and prior by cluster, connects to
// every cluster at once and (verify) checks each one's identity against
// state. rebind names the clusters whose new identity is taken on purpose.
// Without verify (--refresh=false: state alone is trusted) no cluster is
// asked anything yet.
func (w *workspace) openFleet(ctx context.Context, prior *state.State, rebind []string, verify bool) (*fleet, error) {
	f := &fleet{parts: plan.Split(w.cfg, prior), conns: map[string]*clusterConn{}, failed: map[string]error{}}
	known := w.cfg.ClusterNames()
	for _, name := range rebind {
		if !slices.Contains(known, name) {
			hint := "name a cluster of the configuration: " + strings.Join(known, ", ")
			if s := config.Suggest(name, known); s != "" {
				hint = fmt.Sprintf("did you mean --rebind-cluster %s?", s)
			}
			return nil, withHint(fmt.Errorf("--rebind-cluster %s: the configuration declares no such cluster", name), hint)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(f.parts))
	for i, part := range f.parts {
		c := w.conn(part.Cluster)
		f.conns[part.Cluster] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !verify {
				// No identity is read, but records bound under another
				// cluster's name are still refused: nothing confirms that
				// the cluster reached is theirs.
				if errs[i] = c.connect(ctx, w); errs[i] == nil {
					if e := part.CheckHome(state.Cluster{}); e != nil {
						errs[i] = withHint(e, clusterMoveHint(e))
					}
				}
				return
			}
			if errs[i] = c.identify(ctx, w); errs[i] != nil {
				return
			}
			if e := part.CheckHome(c.id); e != nil {
				errs[i] = withHint(e, clusterMoveHint(e))
				return
			}
			if other := plan.HeldBy(prior, part.Cluster, c.id); other != "" && slices.Contains(rebind, part.Cluster) {
				errs[i] = withHint(fmt.Errorf("--rebind-cluster %s: kubernetes %q reaches %s (kube-system UID %s), which state records as cluster %q",
					part.Cluster, part.Cluster, c.id.Server, c.id.UID, other),
					fmt.Sprintf("a rebind takes over a cluster that was replaced, not one state already knows: check kubernetes %q's kubeconfig and context (docs/fleets.md)", part.Cluster))
				return
			}
			if e := part.CheckIdentity(c.id, slices.Contains(rebind, part.Cluster)); e != nil {
				errs[i] = withHint(e, fmt.Sprintf("if the kubeconfig context is wrong, point kubernetes %q back at the cluster state records; "+
					"if that cluster was replaced on purpose, take the new one over with certform apply --rebind-cluster %s (docs/fleets.md)",
					part.Cluster, part.Cluster))
			}
		}()
	}
	wg.Wait()
	for i, part := range f.parts {
		if errs[i] == nil {
			continue
		}
		if len(f.parts) == 1 {
			return nil, errs[i]
		}
		f.failed[part.Cluster] = errs[i]
	}
	return f, nil
}

// clusterMoveHint says how to move a certificate between clusters on
// purpose: a delete in one and a create in the other.
func clusterMoveHint(e *plan.ClusterMoveError) string {
	m := e.Moves[0]
	from := m.From.ClusterName()
	if m.To != "" {
		return fmt.Sprintf("to issue %s in cluster %q instead, remove the moved block: certform apply --target '%s' then deletes %s from cluster %q, "+
			"and the next apply creates %s in %q; --rebind-cluster is for a replaced cluster, not for a move (docs/fleets.md)",
			m.To, e.Cluster, m.Addr, m.Addr, from, m.To, e.Cluster)
	}
	return fmt.Sprintf("put %s back in cluster %q (its cluster argument, or certform state mv) and delete it there with certform destroy --target '%s' before moving it; "+
		"or forget it with certform state rm '%s', which leaves its CSR, Secret and files as they are; --rebind-cluster is for a replaced cluster, not for a move (docs/fleets.md)",
		m.Addr, from, m.Addr, m.Addr)
}

// live returns the parts whose clusters take part in the run.
func (f *fleet) live() []plan.Part {
	var out []plan.Part
	for _, p := range f.parts {
		if f.failed[p.Cluster] == nil {
			out = append(out, p)
		}
	}
	return out
}

// hasChanges reports whether p changes anything in the clusters that take
// part in the run (f nil: whether it changes anything).
func (f *fleet) hasChanges(p *plan.Plan) bool {
	if f == nil || len(f.parts) == 1 {
		return p.HasChanges()
	}
	return slices.ContainsFunc(f.live(), func(part plan.Part) bool { return p.Only(part).HasChanges() })
}

// fail leaves part's cluster out of the run for err.
func (f *fleet) fail(part plan.Part, err error) { f.failed[part.Cluster] = err }

// bind records in st the identity of every live cluster on its records:
// those from before fleets adopt it, and rebound ones take the new one.
func (f *fleet) bind(st *state.State) {
	if f == nil {
		return
	}
	for _, part := range f.live() {
		id := f.conns[part.Cluster].id
		if !id.Bound() {
			continue
		}
		for _, addr := range part.Addrs() {
			if rec := st.Certificates[addr]; rec != nil {
				rec.Cluster = id
			}
			if b := st.Bundles[addr]; b != nil {
				b.Cluster = id
			}
		}
	}
}

// err is the error naming every cluster left out, and why, and what
// happened to the others (done: "planned", "applied"); nil when none.
func (f *fleet) err(done string) error {
	if f == nil || len(f.failed)+len(f.withheld) == 0 {
		return nil
	}
	var lines []string
	for _, part := range f.parts {
		err := f.failed[part.Cluster]
		if err == nil {
			continue
		}
		line := fmt.Sprintf("cluster %q%s, left out: %s\n    %v", part.Cluster, f.server(part.Cluster), strings.Join(part.Addrs(), ", "), err)
		var ue *userError
		if errors.As(err, &ue) && ue.hint != "" {
			line += "\n    hint: " + ue.hint
		}
		lines = append(lines, line)
	}
	for _, addr := range slices.Sorted(maps.Keys(f.withheld)) {
		lines = append(lines, fmt.Sprintf("%s: left out: %v", addr, f.withheld[addr]))
	}
	what := fmt.Sprintf("%d %s failed", len(f.failed), map[bool]string{true: "cluster", false: "clusters"}[len(f.failed) == 1])
	if len(f.failed) == 0 {
		what = fmt.Sprintf("%d %s left out", len(f.withheld), map[bool]string{true: "address was", false: "addresses were"}[len(f.withheld) == 1])
	}
	return withHint(fmt.Errorf("%s, the rest was %s:\n  %s", what, done, strings.Join(lines, "\n  ")),
		"fix what each line says and run again: the other clusters do not wait for it")
}

func (f *fleet) server(name string) string {
	if c := f.conns[name]; c != nil && c.id.Server != "" {
		return " (" + c.id.Server + ")"
	}
	return ""
}

// warnUnverified says which clusters' identity could not be read, when it
// matters: the configuration has several clusters, or state recorded one.
func (f *fleet) warnUnverified(s Streams) {
	if f == nil {
		return
	}
	for _, part := range f.live() {
		c := f.conns[part.Cluster]
		if c.idErr == nil || (len(f.parts) == 1 && !recordsIdentity(part.Prior)) {
			continue
		}
		fmt.Fprintf(s.Err, "certform: warning: cluster %q%s: cannot read namespace kube-system, so whether it is the cluster state records is not checked: %v\n"+
			"certform: hint: grant get on namespaces (resourceNames: [kube-system]) to the user of that cluster\n", part.Cluster, f.server(part.Cluster), c.idErr)
	}
}

func recordsIdentity(st *state.State) bool {
	for _, rec := range st.Certificates {
		if rec.Cluster.Bound() {
			return true
		}
	}
	return false
}

// failedNames lists the clusters left out, for the summary.
func (f *fleet) failedNames() string {
	var names []string
	for _, part := range f.parts {
		if f.failed[part.Cluster] != nil {
			names = append(names, fmt.Sprintf("cluster %q%s (see above)", part.Cluster, f.server(part.Cluster)))
		}
	}
	if len(f.withheld) > 0 {
		names = append(names, strings.Join(slices.Sorted(maps.Keys(f.withheld)), ", "))
	}
	return strings.Join(names, ", ")
}
