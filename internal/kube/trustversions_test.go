package kube

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	certv1 "k8s.io/api/certificates/v1"
	certv1alpha1 "k8s.io/api/certificates/v1alpha1"
	certv1beta1 "k8s.io/api/certificates/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// TestServedTrustBundles: the newest served version of ClusterTrustBundles
// is read, older ones only when newer ones are not served (404), and a
// cluster serving none is a NotFound that says so. Other errors are not a
// reason to try an older version.
func TestServedTrustBundles(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "example.com:s:one"}
	served := map[string]runtime.Object{
		"v1": &certv1.ClusterTrustBundleList{Items: []certv1.ClusterTrustBundle{{ObjectMeta: meta,
			Spec: certv1.ClusterTrustBundleSpec{SignerName: "example.com/s", TrustBundle: "v1 pem"}}}},
		"v1beta1": &certv1beta1.ClusterTrustBundleList{Items: []certv1beta1.ClusterTrustBundle{{ObjectMeta: meta,
			Spec: certv1beta1.ClusterTrustBundleSpec{SignerName: "example.com/s", TrustBundle: "v1beta1 pem"}}}},
		"v1alpha1": &certv1alpha1.ClusterTrustBundleList{Items: []certv1alpha1.ClusterTrustBundle{{ObjectMeta: meta,
			Spec: certv1alpha1.ClusterTrustBundleSpec{SignerName: "example.com/s", TrustBundle: "v1alpha1 pem"}}}},
	}
	for name, tc := range map[string]struct {
		versions  []string // served
		forbidden bool     // listing v1 is forbidden
		want      string   // the bundle read; "" for an error
		wantTried []string
	}{
		"1.37: v1":                    {versions: []string{"v1", "v1beta1"}, want: "v1 pem", wantTried: []string{"v1"}},
		"1.33-1.36 with the beta on":  {versions: []string{"v1beta1", "v1alpha1"}, want: "v1beta1 pem", wantTried: []string{"v1", "v1beta1"}},
		"1.32 with the alpha on":      {versions: []string{"v1alpha1"}, want: "v1alpha1 pem", wantTried: []string{"v1", "v1beta1", "v1alpha1"}},
		"1.32 as shipped":             {wantTried: []string{"v1", "v1beta1", "v1alpha1"}},
		"forbidden is not a fallback": {versions: []string{"v1", "v1alpha1"}, forbidden: true, wantTried: []string{"v1"}},
	} {
		t.Run(name, func(t *testing.T) {
			cs := fake.NewClientset()
			var tried []string
			cs.PrependReactor("list", "clustertrustbundles", func(a k8stesting.Action) (bool, runtime.Object, error) {
				v := a.GetResource().Version
				tried = append(tried, v)
				gr := schema.GroupResource{Group: "certificates.k8s.io", Resource: "clustertrustbundles"}
				if tc.forbidden && v == "v1" {
					return true, nil, apierrors.NewForbidden(gr, "", errors.New("no"))
				}
				for _, s := range tc.versions {
					if s == v {
						return true, served[v], nil
					}
				}
				return true, nil, apierrors.NewNotFound(gr, "")
			})
			tb := ServedTrustBundles(cs)
			list, err := tb.List(context.Background(), metav1.ListOptions{})
			switch {
			case tc.want != "":
				if err != nil || len(list.Items) != 1 || list.Items[0].Spec.TrustBundle != tc.want || list.Items[0].Name != meta.Name {
					t.Fatalf("List = %+v, %v; want the bundle %q", list, err, tc.want)
				}
			case tc.forbidden:
				if !apierrors.IsForbidden(err) {
					t.Fatalf("List error = %v, want the Forbidden", err)
				}
			default:
				if !apierrors.IsNotFound(err) || !errors.Is(err, ErrTrustBundlesNotServed) {
					t.Fatalf("List error = %v, want NotFound and ErrTrustBundlesNotServed", err)
				}
			}
			if diff := cmp.Diff(tc.wantTried, tried); diff != "" {
				t.Errorf("versions tried (-want +got):\n%s", diff)
			}
			if tc.want == "" {
				return
			}
			tried = nil
			if _, err := tb.List(context.Background(), metav1.ListOptions{}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantTried[len(tc.wantTried)-1:], tried); diff != "" {
				t.Errorf("a second List did not keep to the served version (-want +got):\n%s", diff)
			}
		})
	}
}
