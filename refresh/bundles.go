package refresh

import (
	"context"
	"crypto/x509"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/refresh/observed"
	"github.com/certform/certform/state"
)

// objects observes what certform keeps in the cluster besides CSRs: it
// resolves every ca_bundle's sources and target namespaces, then lists, in
// each namespace the configuration or state names, the ConfigMaps and
// Secrets of this lineage once — bundle targets (annotated with their data
// key) and certificates' TLS Secrets alike — so the RBAC certform needs
// stays within those namespaces. It lists nothing when neither has any.
// Sources in other clusters than the bundle's are read through others.
func objects(ctx context.Context, cs kubernetes.Interface, others Clients, cfg *config.Config, prior *state.State, w *observed.World) error {
	cmNamespaces, secretNamespaces := map[string]bool{}, map[string]bool{}
	if len(cfg.CABundles) > 0 || len(prior.Bundles) > 0 {
		w.Bundles, w.Published, w.KnownCAs = map[string]observed.ResolvedBundle{}, map[string]observed.Published{}, map[string]*x509.Certificate{}
	}
	for _, b := range cfg.CABundles {
		rb, err := resolve(ctx, cs, others, b)
		if err != nil {
			return fmt.Errorf("%s: %w", b.Addr, err)
		}
		for _, c := range rb.CAs {
			w.KnownCAs[config.Fingerprint(c)] = c
		}
		w.Bundles[b.Addr] = rb
		for _, t := range rb.Targets {
			for _, ns := range t.Namespaces {
				cmNamespaces[ns], secretNamespaces[ns] = true, true
			}
		}
	}
	for _, b := range prior.Bundles {
		for _, t := range b.Targets {
			cmNamespaces[t.Namespace], secretNamespaces[t.Namespace] = true, true
		}
	}
	for _, c := range cfg.Certificates {
		if c.Secret != nil {
			secretNamespaces[c.Secret.Namespace] = true
		}
	}
	for _, rec := range prior.Certificates {
		if rec.Secret != nil {
			secretNamespaces[rec.Secret.Namespace] = true
		}
	}
	if len(secretNamespaces) > 0 {
		w.Secrets, w.TLS = map[string]string{}, map[string]observed.TLSContent{}
	}
	sel := metav1.ListOptions{LabelSelector: kube.Selector(prior.Lineage)}
	tlsData := map[string]map[string][]byte{} // certificates' Secrets, for unopened
	for _, ns := range slices.Sorted(maps.Keys(cmNamespaces)) {
		cms, err := cs.CoreV1().ConfigMaps(ns).List(ctx, sel)
		if err != nil {
			return fmt.Errorf("listing certform's ConfigMaps in %s: %w", ns, err)
		}
		for _, cm := range cms.Items {
			key := cm.Annotations[kube.AnnotationKey]
			addPublished(w, config.TargetConfigMap, cm.ObjectMeta, key, []byte(cm.Data[key]))
		}
	}
	for _, ns := range slices.Sorted(maps.Keys(secretNamespaces)) {
		secrets, err := cs.CoreV1().Secrets(ns).List(ctx, sel)
		if err != nil {
			return fmt.Errorf("listing certform's Secrets in %s: %w", ns, err)
		}
		for _, s := range secrets.Items {
			if key := s.Annotations[kube.AnnotationKey]; key != "" {
				addPublished(w, config.TargetSecret, s.ObjectMeta, key, s.Data[key])
			} else {
				w.Secrets[s.Namespace+"/"+s.Name] = digest.OfSecret(s.Data)
				w.TLS[s.Namespace+"/"+s.Name] = digest.OfTLS(s.Data)
				tlsData[s.Namespace+"/"+s.Name] = s.Data
				secretMeta(w, &s)
				if kube.OwnerOf(&s, prior.Lineage).Adopted {
					if w.AdoptedSecrets == nil {
						w.AdoptedSecrets = map[string]bool{}
					}
					w.AdoptedSecrets[s.Namespace+"/"+s.Name] = true
				}
			}
		}
	}
	if w.KnownCAs != nil {
		w.Issuers = issuers(cfg.Dir, prior, w.KnownCAs)
	}
	if err := unopened(ctx, cs.CoreV1(), cfg, prior, tlsData, w); err != nil {
		return err
	}
	return existing(ctx, cs, cfg, w, prior.Lineage)
}

// resolve reads a bundle's sources and the namespaces it targets.
func resolve(ctx context.Context, own kubernetes.Interface, others Clients, b *config.CABundle) (observed.ResolvedBundle, error) {
	var rb observed.ResolvedBundle
	seen := map[string]bool{}
	for _, src := range b.Sources {
		certs := src.Certificates
		cs := own
		if src.Cluster != b.Cluster && src.Kind != config.SourceFile && src.Kind != config.SourcePEM {
			if cs = others[src.Cluster]; cs == nil {
				return rb, fmt.Errorf("a source reads cluster %q, which cannot be reached in this run", src.Cluster)
			}
		}
		switch src.Kind {
		case config.SourceConfigMap:
			cm, err := cs.CoreV1().ConfigMaps(src.Namespace).Get(ctx, src.Name, metav1.GetOptions{})
			if err != nil {
				return rb, fmt.Errorf("reading source ConfigMap %s/%s: %w", src.Namespace, src.Name, err)
			}
			if certs, err = pki.ParseCertificatesPEM([]byte(cm.Data[src.Key])); err != nil {
				return rb, fmt.Errorf("source ConfigMap %s/%s key %q: %w", src.Namespace, src.Name, src.Key, err)
			}
		case config.SourceSecret:
			sec, err := cs.CoreV1().Secrets(src.Namespace).Get(ctx, src.Name, metav1.GetOptions{})
			if err != nil {
				return rb, fmt.Errorf("reading source Secret %s/%s: %w", src.Namespace, src.Name, err)
			}
			if certs, err = pki.ParseCertificatesPEM(sec.Data[src.Key]); err != nil {
				return rb, fmt.Errorf("source Secret %s/%s key %q: %w", src.Namespace, src.Name, src.Key, err)
			}
		case config.SourceClusterTrustBundle:
			var err error
			if certs, err = clusterTrustBundle(ctx, cs, src.SignerName); err != nil {
				return rb, err
			}
		}
		for _, c := range certs {
			if fp := config.Fingerprint(c); !seen[fp] {
				seen[fp] = true
				rb.CAs = append(rb.CAs, c)
			}
		}
	}
	slices.SortFunc(rb.CAs, func(a, b *x509.Certificate) int { return strings.Compare(config.Fingerprint(a), config.Fingerprint(b)) })
	for _, t := range b.Targets {
		rt := observed.ResolvedTarget{Kind: t.Kind, Name: t.Name, Key: t.Key, Namespaces: slices.Clone(t.Namespaces), Adopt: t.Adopt}
		if t.NamespaceSelector != "" {
			nss, err := own.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: t.NamespaceSelector})
			if err != nil {
				return rb, fmt.Errorf("listing namespaces %q: %w", t.NamespaceSelector, err)
			}
			for _, ns := range nss.Items {
				if ns.Status.Phase != corev1.NamespaceTerminating {
					rt.Namespaces = append(rt.Namespaces, ns.Name)
				}
			}
		}
		slices.Sort(rt.Namespaces)
		rb.Targets = append(rb.Targets, rt)
	}
	return rb, nil
}

// addPublished records an object certform published a bundle to, and the
// CAs in it.
func addPublished(w *observed.World, kind string, meta metav1.ObjectMeta, key string, data []byte) {
	certs, _ := pki.ParseCertificatesPEM(data)
	pub := observed.Published{Kind: kind, Addr: meta.Annotations[kube.AnnotationAddr], Namespace: meta.Namespace, Name: meta.Name, Key: key}
	for _, c := range certs {
		fp := config.Fingerprint(c)
		pub.Fingerprints = append(pub.Fingerprints, fp)
		w.KnownCAs[fp] = c
	}
	w.Published[observed.PublishedKey(kind, meta.Namespace, meta.Name)] = pub
}

// clusterTrustBundle reads every ClusterTrustBundle of signer, through the
// newest API version the cluster serves.
func clusterTrustBundle(ctx context.Context, cs kubernetes.Interface, signer string) ([]*x509.Certificate, error) {
	list, err := kube.ServedTrustBundles(cs).List(ctx, metav1.ListOptions{FieldSelector: "spec.signerName=" + signer})
	if apierrors.IsNotFound(err) {
		server := "the cluster"
		if v, verr := cs.Discovery().ServerVersion(); verr == nil {
			server = "Kubernetes " + v.GitVersion
		}
		return nil, fmt.Errorf("source cluster_trust_bundle of signer %s: %s: %w", signer, server, kube.ErrTrustBundlesNotServed)
	}
	if err != nil {
		return nil, fmt.Errorf("listing ClusterTrustBundles of %s: %w", signer, err)
	}
	var certs []*x509.Certificate
	for _, ctb := range list.Items {
		c, err := pki.ParseCertificatesPEM([]byte(ctb.Spec.TrustBundle))
		if err != nil {
			return nil, fmt.Errorf("ClusterTrustBundle %s: %w", ctb.Name, err)
		}
		certs = append(certs, c...)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no ClusterTrustBundle holds CAs for signer %s", signer)
	}
	return certs, nil
}

// issuers finds, for each issued certificate in state, the known CAs its
// certificate file (relative: in dir) chains to (signature checked, not
// just names).
func issuers(dir workdir.Dir, prior *state.State, known map[string]*x509.Certificate) map[string][]string {
	out := map[string][]string{}
	for addr, rec := range prior.Certificates {
		path, _, ok := rec.FileWithRole(state.RoleCert)
		if !ok {
			continue
		}
		data, err := limits.ReadFile(dir.Path(path), limits.SmallFile)
		if err != nil {
			continue
		}
		chain, err := pki.ParseCertificatesPEM(data)
		if err != nil {
			continue
		}
		for fp, ca := range known {
			if chain[0].CheckSignatureFrom(ca) == nil {
				out[addr] = append(out[addr], fp)
			}
		}
		slices.Sort(out[addr])
	}
	return out
}
