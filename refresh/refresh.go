package refresh

import (
	"context"
	"fmt"
	"path/filepath"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/refresh/observed"
	"github.com/certform/certform/state"
)

// Refresh observes everything the plan for cfg and prior needs: output
// files, pending keys, certform's CSR objects, and the bundles and
// Secrets it published. It is the pipeline's refresh stage, run between
// config and plan; prior is the state as the plan will see it (moved
// blocks applied).
func Refresh(ctx context.Context, cfg *config.Config, prior *state.State, cs kubernetes.Interface, keys keystore.Store) (observed.World, error) {
	w, err := filesKeysAndCSRs(ctx, cfg, prior, cs.CertificatesV1().CertificateSigningRequests(), keys)
	if err != nil {
		return w, err
	}
	err = objects(ctx, cs, cfg, prior, &w)
	return w, err
}

// filesKeysAndCSRs observes files, pending keys and CSRs.
func filesKeysAndCSRs(ctx context.Context, cfg *config.Config, prior *state.State, csrs kube.CSRs, keys keystore.Store) (observed.World, error) {
	w := observed.World{Refreshed: true, Here: state.Here()}
	var err error
	if w.Files, err = files(outputPaths(cfg, prior)); err != nil {
		return w, err
	}
	if w.PendingKeys, err = keys.Fingerprints(); err != nil {
		return w, err
	}
	movedKeys(cfg, prior, w.PendingKeys)
	if len(prior.Certificates) == 0 {
		w.CSRs = map[string]observed.CSRObservation{}
		return w, nil // nothing of ours can be in the cluster yet
	}
	w.CSRs, err = listCSRs(ctx, csrs, prior.Lineage)
	return w, err
}

// movedKeys adds the keys of pending records that an interrupted collect
// already moved from the keystore to the configured key file.
func movedKeys(cfg *config.Config, prior *state.State, held map[string]bool) {
	for _, c := range cfg.Certificates {
		rec := prior.Certificates[c.Addr]
		if rec == nil || !rec.InFlight() || held[rec.KeySHA256] {
			continue
		}
		data, err := limits.ReadFile(c.Output.KeyFile, limits.SmallFile)
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

// files hashes each path. A missing file is an observation, not an error.
func files(paths []string) (map[string]observed.FileObservation, error) {
	out := make(map[string]observed.FileObservation, len(paths))
	for _, p := range paths {
		if _, done := out[p]; done {
			continue
		}
		obs, err := digest.OfFile(p)
		if err != nil {
			return nil, err
		}
		out[p] = obs
	}
	return out, nil
}

// listCSRs lists the CSR objects of one state lineage.
func listCSRs(ctx context.Context, client kube.CSRs, lineage string) (map[string]observed.CSRObservation, error) {
	list, err := client.List(ctx, metav1.ListOptions{LabelSelector: kube.Selector(lineage)})
	if err != nil {
		return nil, fmt.Errorf("listing CSRs: %w", err)
	}
	out := make(map[string]observed.CSRObservation, len(list.Items))
	for i := range list.Items {
		out[list.Items[i].Name] = csrObservation(&list.Items[i])
	}
	return out, nil
}

// csrObservation summarises one CSR object for the planner.
func csrObservation(csr *certv1.CertificateSigningRequest) observed.CSRObservation {
	obs := observed.CSRObservation{Name: csr.Name, UID: string(csr.UID), Phase: observed.CSRPending}
	if req, err := pki.ParseCSRPEM(csr.Spec.Request); err == nil {
		obs.KeySHA256, _ = pki.Fingerprint(req.PublicKey)
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
