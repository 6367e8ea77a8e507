package observe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// World observes everything the plan for cfg and prior needs.
func World(ctx context.Context, cfg *config.Config, prior *state.State, csrs kube.CSRs, keys keystore.Store) (plan.World, error) {
	w := plan.World{Refreshed: true, Here: state.Here()}
	var err error
	if w.Files, err = Files(outputPaths(cfg, prior)); err != nil {
		return w, err
	}
	if w.PendingKeys, err = keys.Fingerprints(); err != nil {
		return w, err
	}
	movedKeys(cfg, prior, w.PendingKeys)
	if len(prior.Certificates) == 0 {
		w.CSRs = map[string]plan.CSRObservation{}
		return w, nil // nothing of ours can be in the cluster yet
	}
	w.CSRs, err = CSRs(ctx, csrs, prior.Lineage)
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
		for _, out := range plan.Outputs(c) {
			paths = append(paths, out.Path)
		}
	}
	for _, c := range prior.Certificates {
		for p := range c.Files {
			paths = append(paths, p)
		}
	}
	return paths
}

// Files hashes each path. A missing file is an observation, not an error.
func Files(paths []string) (map[string]plan.FileObservation, error) {
	out := make(map[string]plan.FileObservation, len(paths))
	for _, p := range paths {
		if _, done := out[p]; done {
			continue
		}
		obs, err := File(p)
		if err != nil {
			return nil, err
		}
		out[p] = obs
	}
	return out, nil
}

// File observes one path: its content's hash and its mode, from one open.
func File(path string) (plan.FileObservation, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return plan.FileObservation{}, nil
	}
	if err != nil {
		return plan.FileObservation{}, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return plan.FileObservation{}, fmt.Errorf("reading %s: %w", path, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return plan.FileObservation{}, fmt.Errorf("reading %s: %w", path, err)
	}
	return plan.FileObservation{Exists: true, SHA256: hex.EncodeToString(h.Sum(nil)), Mode: st.Mode().Perm()}, nil
}

// TLS summarises a kubernetes.io/tls Secret's data as fingerprints: the
// key is parsed in memory only, to learn its public key's fingerprint, and
// goes nowhere else.
func TLS(data map[string][]byte) plan.TLSContent {
	var out plan.TLSContent
	if key, err := pki.ParsePrivateKeyPEM(data["tls.key"]); err == nil {
		out.KeySHA256, _ = pki.Fingerprint(key.Public())
	}
	if chain, err := pki.ParseCertificatesPEM(data["tls.crt"]); err == nil && len(chain) > 0 {
		out.Serial = chain[0].SerialNumber.Text(16)
	}
	return out
}

// SHA256 is the hex SHA-256 of data, as state records files.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// CSRs lists the CSR objects of one state lineage.
func CSRs(ctx context.Context, client kube.CSRs, lineage string) (map[string]plan.CSRObservation, error) {
	list, err := client.List(ctx, metav1.ListOptions{LabelSelector: kube.Selector(lineage)})
	if err != nil {
		return nil, fmt.Errorf("listing CSRs: %w", err)
	}
	out := make(map[string]plan.CSRObservation, len(list.Items))
	for i := range list.Items {
		out[list.Items[i].Name] = CSR(&list.Items[i])
	}
	return out, nil
}

// CSR summarises one CSR object for the planner.
func CSR(csr *certv1.CertificateSigningRequest) plan.CSRObservation {
	obs := plan.CSRObservation{Name: csr.Name, UID: string(csr.UID), Phase: plan.CSRPending}
	if req, err := pki.ParseCSRPEM(csr.Spec.Request); err == nil {
		obs.KeySHA256, _ = pki.Fingerprint(req.PublicKey)
	}
	if c, refused := kube.Refusal(csr); refused {
		obs.Phase, obs.Message = plan.CSRDenied, c.Reason+": "+c.Message
		if c.Type == certv1.CertificateFailed {
			obs.Phase = plan.CSRFailed
		}
		return obs
	}
	if len(csr.Status.Certificate) > 0 {
		obs.Phase, obs.CertSHA256 = plan.CSRIssued, SHA256(csr.Status.Certificate)
	} else if kube.IsApproved(csr) {
		obs.Phase = plan.CSRApproved
	}
	return obs
}
