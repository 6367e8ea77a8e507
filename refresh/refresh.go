package refresh

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/internal/fileindex"
	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/refresh/observed"
	"github.com/certform/certform/state"
)

// Refresh observes everything the plan for cfg and prior needs: output
// files, pending keys, certform's CSR objects, and the bundles and
// Secrets it published. It is the pipeline's refresh stage, run between
// config and plan; prior is the state as the plan will see it (moved
// blocks applied).
func Refresh(ctx context.Context, cfg *config.Config, prior *state.State, cs kubernetes.Interface, keys keystore.Store) (observed.World, error) {
	return RefreshIn(ctx, cfg, prior, cs, nil, keys, nil)
}

// Clients are the clients of a fleet's other clusters by name, for bundle
// sources read from another cluster than the one the bundle is published
// to (source { cluster = kubernetes.NAME }).
type Clients map[string]kubernetes.Interface

// RefreshIn is Refresh for one cluster of a fleet: cfg and prior are that
// cluster's share (plan.Split), cs its client, and bundle sources in
// other clusters are read through others. Output files are observed
// through index, which answers for the files unchanged since it hashed
// them (internal/fileindex) and learns the others; it may be shared by
// the concurrent refreshes of a fleet's clusters, and nil hashes every
// file. Saving it is the caller's.
func RefreshIn(ctx context.Context, cfg *config.Config, prior *state.State, cs kubernetes.Interface, others Clients, keys keystore.Store, index *fileindex.Index) (observed.World, error) {
	w, err := filesKeysAndCSRs(ctx, cfg, prior, cs.CertificatesV1().CertificateSigningRequests(), keys, index)
	if err != nil {
		return w, err
	}
	err = objects(ctx, cs, others, cfg, prior, &w)
	return w, err
}

// filesKeysAndCSRs observes files, pending keys and CSRs. The List of CSRs
// runs while the files are read, so that the API server's work overlaps
// this process's; it is left out (World.DeferCSRs) when no record is in
// flight or removed from the configuration, the only records whose plan
// always reads their CSR: any other lookup makes the caller list them
// (ListCSRs) and plan again.
func filesKeysAndCSRs(ctx context.Context, cfg *config.Config, prior *state.State, csrs kube.CSRs, keys keystore.Store, index *fileindex.Index) (observed.World, error) {
	w := observed.World{Refreshed: true, Here: state.Here(cfg.Dir), CSRs: map[string]observed.CSRObservation{}}
	type listed struct {
		csrs map[string]observed.CSRObservation
		err  error
	}
	list := make(chan listed, 1)
	switch {
	case len(prior.Certificates) == 0:
		list <- listed{csrs: w.CSRs} // nothing of ours can be in the cluster yet
	case !csrsNeeded(cfg, prior):
		w.DeferCSRs()
		list <- listed{}
	default:
		go func() {
			m, err := listCSRs(ctx, csrs, prior.Lineage, submitting(prior))
			list <- listed{m, err}
		}()
	}
	var err error
	if w.Files, err = files(cfg.Dir, outputPaths(cfg, prior), index); err != nil {
		return w, err
	}
	if w.PendingKeys, err = keys.Fingerprints(); err != nil {
		return w, err
	}
	movedKeys(cfg, prior, w.PendingKeys)
	l := <-list
	w.CSRs = l.csrs // nil when deferred, as DeferCSRs left it
	return w, l.err
}

// csrsNeeded says whether a plan of cfg from prior will surely read CSR
// objects: a record in flight (to adopt, wait for or replace its CSR) or
// one whose address left the configuration (its removal says whether its
// CSR is still there). Other records read theirs only when their files
// changed or their certificate is replaced, which the planner finds out.
func csrsNeeded(cfg *config.Config, prior *state.State) bool {
	configured := make(map[string]bool, len(cfg.Certificates))
	for _, c := range cfg.Certificates {
		configured[c.Addr] = true
	}
	for addr, rec := range prior.Certificates {
		if rec.InFlight() || rec.CSRName != "" && !configured[addr] {
			return true
		}
	}
	return false
}

// ListCSRs lists the CSR objects of prior's lineage into w, whose List
// refresh deferred and whose plan then wanted them (World.WantedCSRs).
func ListCSRs(ctx context.Context, cs kubernetes.Interface, prior *state.State, w *observed.World) error {
	m, err := listCSRs(ctx, cs.CertificatesV1().CertificateSigningRequests(), prior.Lineage, submitting(prior))
	if err != nil {
		return err
	}
	w.ListedCSRs(m)
	return nil
}

// submitting is the CSR names of prior's records being submitted: the only
// CSRs whose key the planner compares (an interrupted run's CSR is adopted
// only if it was made with the kept key), so the only requests worth
// parsing.
func submitting(prior *state.State) map[string]bool {
	names := map[string]bool{}
	for _, rec := range prior.Certificates {
		if rec.Status == state.StatusSubmitting {
			names[rec.CSRName] = true
		}
	}
	return names
}

// movedKeys adds the keys of pending records that an interrupted collect
// already moved from the keystore to the configured key file.
func movedKeys(cfg *config.Config, prior *state.State, held map[string]bool) {
	for _, c := range cfg.Certificates {
		rec := prior.Certificates[c.Addr]
		if rec == nil || !rec.InFlight() || held[rec.KeySHA256] {
			continue
		}
		data, err := limits.ReadFile(cfg.Dir.Path(c.Output.KeyFile), limits.SmallFile)
		if err != nil {
			continue
		}
		if key, err := pki.ParsePrivateKeyPEM(data); err == nil {
			if fp, _ := pki.Fingerprint(key.Public()); fp == rec.KeySHA256 {
				held[fp] = true
			}
		}
	}
}

func outputPaths(cfg *config.Config, prior *state.State) []string {
	var paths []string
	for _, c := range cfg.Certificates {
		if !c.HasFiles() {
			continue // the Secret is the only output
		}
		for _, p := range c.OutputPaths() {
			paths = append(paths, filepath.Clean(p))
		}
	}
	for _, c := range prior.Certificates {
		for p := range c.Files {
			paths = append(paths, p)
		}
	}
	return paths
}

// files hashes each path, relative ones in dir, and keys the observations
// by path as given. A missing file is an observation, not an error.
// A few workers share the paths: a plan of thousands of certificates is
// mostly opening and reading their files, or, through index, stating
// them.
func files(dir workdir.Dir, paths []string, index *fileindex.Index) (map[string]observed.FileObservation, error) {
	if dir == "" && index != nil {
		dir = workdir.Dir(dir.Abs(".")) // the index knows files by absolute path
	}
	seen := make(map[string]bool, len(paths))
	unique := make([]string, 0, len(paths))
	for _, p := range paths {
		if !seen[p] {
			seen[p] = true
			unique = append(unique, p)
		}
	}
	obs := make([]observed.FileObservation, len(unique))
	errs := make([]error, len(unique))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 4, len(unique)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(unique); i = int(next.Add(1) - 1) {
				obs[i], errs[i] = index.File(dir.Path(unique[i]))
			}
		}()
	}
	wg.Wait()
	out := make(map[string]observed.FileObservation, len(unique))
	for i, p := range unique {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out[p] = obs[i]
	}
	return out, nil
}

// listCSRs lists the CSR objects of one state lineage, learning the key of
// only the named requests (all of them when keyed is nil): parsing
// thousands of requests was a tenth of a large plan's time.
func listCSRs(ctx context.Context, client kube.CSRs, lineage string, keyed map[string]bool) (map[string]observed.CSRObservation, error) {
	list, err := client.List(ctx, metav1.ListOptions{LabelSelector: kube.Selector(lineage)})
	if err != nil {
		return nil, fmt.Errorf("listing CSRs: %w", err)
	}
	out := make(map[string]observed.CSRObservation, len(list.Items))
	for i := range list.Items {
		csr := &list.Items[i]
		out[csr.Name] = csrObservation(csr, keyed == nil || keyed[csr.Name])
	}
	return out, nil
}

// csrObservation summarises one CSR object for the planner, with the
// request's key when withKey.
func csrObservation(csr *certv1.CertificateSigningRequest, withKey bool) observed.CSRObservation {
	obs := observed.CSRObservation{Name: csr.Name, UID: string(csr.UID), Phase: observed.CSRPending}
	if withKey {
		if req, err := pki.ParseCSRPEM(csr.Spec.Request); err == nil {
			obs.KeySHA256, _ = pki.Fingerprint(req.PublicKey)
		}
	}
	if c, refused := kube.Refusal(csr); refused {
		obs.Phase, obs.Message = observed.CSRDenied, c.Reason+": "+c.Message
		if c.Type == certv1.CertificateFailed {
			obs.Phase = observed.CSRFailed
		}
		return obs
	}
	if len(csr.Status.Certificate) > 0 {
		obs.Phase, obs.CertSHA256 = observed.CSRIssued, digest.SHA256(csr.Status.Certificate)
	} else if kube.IsApproved(csr) {
		obs.Phase = observed.CSRApproved
	}
	return obs
}
