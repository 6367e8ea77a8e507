package apply

import (
	"context"
	"crypto"
	"fmt"
	"os"
	"slices"
	"sync"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/plan"
)

// A run killed between creating a CSR and recording it leaves an object
// that state does not know. Before submitting anew, issue looks for such an
// object of the same address and lineage whose key certform still holds
// (kept in the keystore, or already moved to the key file) and which asks
// for exactly the configured request; it then resumes that CSR instead of
// leaving it orphaned.

// clusterCSRs are this lineage's CSRs as they were when the run first
// looked (the watcher's first list, or one List with --no-wait), indexed by
// the address they were made for — the only ones that can be orphans — and
// by name.
type clusterCSRs struct {
	once   sync.Once
	byAddr map[string][]*certv1.CertificateSigningRequest
	byName map[string]*certv1.CertificateSigningRequest
	err    error
}

// csrsFor returns the CSRs made for addr that existed when this run first
// looked.
func (r *runner) csrsFor(ctx context.Context, addr string) ([]*certv1.CertificateSigningRequest, error) {
	if err := r.index(ctx); err != nil {
		return nil, err
	}
	return r.listed.byAddr[addr], nil
}

// csrNamed is the CSR named name as this run first saw it, or nil.
func (r *runner) csrNamed(ctx context.Context, name string) (*certv1.CertificateSigningRequest, error) {
	if r.watcher != nil { // the latest copy
		if err := r.watcher.Synced(ctx); err != nil {
			return nil, err
		}
		csr, _ := r.watcher.Get(name)
		return csr, nil
	}
	if err := r.index(ctx); err != nil {
		return nil, err
	}
	return r.listed.byName[name], nil
}

func (r *runner) index(ctx context.Context) error {
	r.listed.once.Do(func() {
		var all []*certv1.CertificateSigningRequest
		if r.watcher != nil {
			if r.listed.err = r.watcher.Synced(ctx); r.listed.err != nil {
				return
			}
			all = r.watcher.List()
		} else {
			list, err := r.opts.CSRs.List(ctx, metav1.ListOptions{LabelSelector: kube.Selector(r.lineage)})
			if err != nil {
				r.listed.err = fmt.Errorf("listing CSRs: %w", err)
				return
			}
			for i := range list.Items {
				all = append(all, &list.Items[i])
			}
		}
		r.listed.byAddr = map[string][]*certv1.CertificateSigningRequest{}
		r.listed.byName = map[string]*certv1.CertificateSigningRequest{}
		for _, csr := range all {
			a := csr.Annotations[kube.AnnotationAddr]
			r.listed.byAddr[a] = append(r.listed.byAddr[a], csr)
			r.listed.byName[csr.Name] = csr
		}
	})
	return r.listed.err
}

// orphan finds a CSR of c's address that state does not record and whose
// key certform holds, and returns it with that key.
func (r *runner) orphan(ctx context.Context, c *config.Certificate, ch *plan.Change) (*certv1.CertificateSigningRequest, crypto.Signer, string, error) {
	csrs, err := r.csrsFor(ctx, c.Addr)
	if err != nil {
		return nil, nil, "", err
	}
	known := ""
	if ch.Before != nil {
		known = ch.Before.CSRName
	}
	var candidates []*certv1.CertificateSigningRequest
	for _, csr := range csrs {
		if csr.Name == known || csr.Spec.SignerName != c.SignerName {
			continue
		}
		if _, refused := kube.Refusal(csr); refused || csr.DeletionTimestamp != nil {
			continue
		}
		candidates = append(candidates, csr)
	}
	// Newest first: the most recent interrupted attempt is the one to resume.
	slices.SortFunc(candidates, func(a, b *certv1.CertificateSigningRequest) int {
		return b.CreationTimestamp.Compare(a.CreationTimestamp.Time)
	})
	for _, csr := range candidates {
		parsed, err := pki.ParseCSRPEM(csr.Spec.Request)
		if err != nil {
			continue
		}
		fp, err := pki.Fingerprint(parsed.PublicKey)
		if err != nil {
			continue
		}
		key := r.heldKey(c, fp)
		if key == nil || pki.RequestMatches(csr.Spec.Request, key.Public(), c.Request) != nil || !sameUsages(csr, c.Usages) {
			continue
		}
		return csr, key, fp, nil
	}
	return nil, nil, "", nil
}

// heldKey returns the private key with fingerprint fp if certform holds it:
// in the keystore, or in the configured key file.
func (r *runner) heldKey(c *config.Certificate, fp string) crypto.Signer {
	if key, err := r.opts.Keys.Get(fp); err == nil {
		return key
	}
	data, err := os.ReadFile(c.Output.KeyFile)
	if err != nil {
		return nil
	}
	key, err := pki.ParsePrivateKeyPEM(data)
	if err != nil {
		return nil
	}
	if got, _ := pki.Fingerprint(key.Public()); got != fp {
		return nil
	}
	return key
}

func sameUsages(csr *certv1.CertificateSigningRequest, usages []string) bool {
	got := make([]string, len(csr.Spec.Usages))
	for i, u := range csr.Spec.Usages {
		got[i] = string(u)
	}
	want := slices.Clone(usages)
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(got, want)
}
