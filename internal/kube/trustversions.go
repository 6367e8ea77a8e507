package kube

import (
	"context"
	"errors"
	"sync"

	certv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ErrTrustBundlesNotServed says the cluster serves ClusterTrustBundles in no
// API version certform reads.
var ErrTrustBundlesNotServed = errors.New("ClusterTrustBundles are not served " +
	"(certificates.k8s.io/v1 from Kubernetes 1.37; v1beta1 on 1.33-1.36 and v1alpha1 on 1.27-1.32 only where an administrator enabled them)")

// trustBundleVersions are the API versions of ClusterTrustBundles, newest
// first, each with how to list through it. Their objects have the same
// fields (metadata, spec.signerName, spec.trustBundle) in every version.
var trustBundleVersions = []struct {
	name string
	list func(kubernetes.Interface, context.Context, metav1.ListOptions) ([]certv1.ClusterTrustBundle, error)
}{
	{"v1", func(cs kubernetes.Interface, ctx context.Context, opts metav1.ListOptions) ([]certv1.ClusterTrustBundle, error) {
		l, err := cs.CertificatesV1().ClusterTrustBundles().List(ctx, opts)
		if err != nil {
			return nil, err
		}
		return l.Items, nil
	}},
	{"v1beta1", func(cs kubernetes.Interface, ctx context.Context, opts metav1.ListOptions) ([]certv1.ClusterTrustBundle, error) {
		l, err := cs.CertificatesV1beta1().ClusterTrustBundles().List(ctx, opts)
		if err != nil {
			return nil, err
		}
		out := make([]certv1.ClusterTrustBundle, len(l.Items))
		for i, b := range l.Items {
			out[i] = trustBundle(b.ObjectMeta, b.Spec.SignerName, b.Spec.TrustBundle)
		}
		return out, nil
	}},
	{"v1alpha1", func(cs kubernetes.Interface, ctx context.Context, opts metav1.ListOptions) ([]certv1.ClusterTrustBundle, error) {
		l, err := cs.CertificatesV1alpha1().ClusterTrustBundles().List(ctx, opts)
		if err != nil {
			return nil, err
		}
		out := make([]certv1.ClusterTrustBundle, len(l.Items))
		for i, b := range l.Items {
			out[i] = trustBundle(b.ObjectMeta, b.Spec.SignerName, b.Spec.TrustBundle)
		}
		return out, nil
	}},
}

func trustBundle(meta metav1.ObjectMeta, signer, bundle string) certv1.ClusterTrustBundle {
	return certv1.ClusterTrustBundle{ObjectMeta: meta, Spec: certv1.ClusterTrustBundleSpec{SignerName: signer, TrustBundle: bundle}}
}

// ServedTrustBundles lists ClusterTrustBundles through the newest API
// version the cluster serves: certificates.k8s.io/v1 (Kubernetes 1.37 on),
// else v1beta1 or v1alpha1 where an older cluster enables them. The first
// List that finds a served version keeps to it. A cluster that serves none
// is a NotFound error wrapping ErrTrustBundlesNotServed.
func ServedTrustBundles(cs kubernetes.Interface) TrustBundles {
	return &servedTrustBundles{cs: cs, version: -1}
}

type servedTrustBundles struct {
	cs      kubernetes.Interface
	mu      sync.Mutex
	version int // index in trustBundleVersions; -1: not known yet
}

// List implements TrustBundles.
func (s *servedTrustBundles) List(ctx context.Context, opts metav1.ListOptions) (*certv1.ClusterTrustBundleList, error) {
	s.mu.Lock()
	known := s.version
	s.mu.Unlock()
	if known >= 0 {
		items, err := trustBundleVersions[known].list(s.cs, ctx, opts)
		if err != nil {
			return nil, err
		}
		return &certv1.ClusterTrustBundleList{Items: items}, nil
	}
	for i, v := range trustBundleVersions {
		items, err := v.list(s.cs, ctx, opts)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.version = i
		s.mu.Unlock()
		return &certv1.ClusterTrustBundleList{Items: items}, nil
	}
	return nil, notServed{}
}

// notServed is ErrTrustBundlesNotServed as an API NotFound error, so that
// callers that treat NotFound as "none published" keep doing so.
type notServed struct{}

func (notServed) Error() string { return ErrTrustBundlesNotServed.Error() }
func (notServed) Unwrap() error { return ErrTrustBundlesNotServed }
func (notServed) Status() metav1.Status {
	return metav1.Status{Status: metav1.StatusFailure, Code: 404, Reason: metav1.StatusReasonNotFound,
		Message: ErrTrustBundlesNotServed.Error()}
}
