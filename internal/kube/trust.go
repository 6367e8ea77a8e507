package kube

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"

	certv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/pki"
)

// TrustBundles lists ClusterTrustBundles: the narrow surface apply needs to
// learn a signer's CAs.
type TrustBundles interface {
	List(ctx context.Context, opts metav1.ListOptions) (*certv1.ClusterTrustBundleList, error)
}

// SignerCAs returns the CAs the ClusterTrustBundles of signer publish, the
// way a signer announces what its certificates chain to. None (and no
// error) when no bundle names the signer or the cluster does not serve
// ClusterTrustBundles; the caller then knows nothing of the signer's CA.
// Through ServedTrustBundles, a cluster serving none also returns
// ErrTrustBundlesNotServed, for the caller to say why it knows nothing.
func SignerCAs(ctx context.Context, client TrustBundles, signer string) ([]*x509.Certificate, error) {
	list, err := client.List(ctx, metav1.ListOptions{FieldSelector: "spec.signerName=" + signer})
	if errors.Is(err, ErrTrustBundlesNotServed) {
		return nil, ErrTrustBundlesNotServed
	}
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the ClusterTrustBundles of signer %s: %w", signer, explain(err, ruleTrustBundles))
	}
	var cas []*x509.Certificate
	for _, ctb := range list.Items {
		certs, err := pki.ParseCertificatesPEM([]byte(ctb.Spec.TrustBundle))
		if err != nil {
			return nil, fmt.Errorf("ClusterTrustBundle %s: %w", ctb.Name, err)
		}
		cas = append(cas, certs...)
	}
	return cas, nil
}

var ruleTrustBundles = Rule{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"clustertrustbundles"}, Verbs: []string{"list"}}
