package refresh

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/state"
)

// newFakeEnv is an env on the fake clientset, for the answers a real
// server does not give on demand; its namespace is "fake".
func newFakeEnv(t *testing.T, objects ...runtime.Object) (*env, *fake.Clientset) {
	t.Helper()
	dir := t.TempDir()
	cs := fake.NewClientset(objects...)
	return &env{t: t, dir: dir, ns: "fake", cs: cs, keys: keystore.Store{Dir: filepath.Join(dir, keystore.DefaultDir)},
		st: state.New(), names: map[string]string{}}, cs
}

// failing makes every verb on resource (of any version) fail with err.
func failing(cs *fake.Clientset, verb, resource string, err error) {
	cs.PrependReactor(verb, resource, func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, err })
}

// ctbConfig is a bundle whose only source is the ClusterTrustBundles of
// example.com/fake.
const ctbConfig = `
ca_bundle "ctb" {
  source {
    cluster_trust_bundle { signer_name = "example.com/fake" }
  }
  configmap {
    namespaces = ["$NS"]
    name       = "ctb"
  }
}
`

// selectorConfig is a bundle from an inline PEM ($PEM) published to the
// namespaces labelled team=a.
const selectorConfig = `
ca_bundle "trust" {
  source {
    pem = <<EOT
$PEM
EOT
  }
  configmap {
    namespace_selector = "team=a"
    name               = "trust"
  }
}
`

// TestRefreshErrorsFake: answers a real server cannot be made to give on
// demand — a list or GET failing with an internal error, a cluster that
// serves no ClusterTrustBundle API, a ClusterTrustBundle holding no PEM
// (the real server validates it) — end the refresh with an error naming
// what was being read.
func TestRefreshErrorsFake(t *testing.T) {
	internal := apierrors.NewInternalError(errors.New("etcd is sad"))
	notFound := apierrors.NewNotFound(schema.GroupResource{Group: "certificates.k8s.io", Resource: "clustertrustbundles"}, "")
	cases := map[string]struct {
		setup   func(e *env, cs *fake.Clientset) string
		wantErr string
		wantIs  error
	}{
		"listing CSRs fails": {setup: func(e *env, cs *fake.Clientset) string {
			e.record("certificate.web", state.Certificate{Status: state.StatusPending, CSRName: "web-1"}, nil)
			failing(cs, "list", "certificatesigningrequests", internal)
			return webConfig
		}, wantErr: "listing CSRs: Internal error occurred: etcd is sad"},
		"listing ConfigMaps fails": {setup: func(e *env, cs *fake.Clientset) string {
			failing(cs, "list", "configmaps", internal)
			return e.inlineBundle(strings.Replace(selectorConfig, `namespace_selector = "team=a"`, `namespaces = ["$NS"]`, 1))
		}, wantErr: "listing certform's ConfigMaps in fake: Internal error occurred: etcd is sad"},
		"listing Secrets fails": {setup: func(e *env, cs *fake.Clientset) string {
			failing(cs, "list", "secrets", internal)
			return plainSecretConfig
		}, wantErr: "listing certform's Secrets in fake: Internal error occurred: etcd is sad"},
		"listing namespaces for a selector fails": {setup: func(e *env, cs *fake.Clientset) string {
			failing(cs, "list", "namespaces", internal)
			return e.inlineBundle(selectorConfig)
		}, wantErr: `ca_bundle.trust: listing namespaces "team=a": Internal error occurred: etcd is sad`},
		"reading the object at a configured name fails": {setup: func(e *env, cs *fake.Clientset) string {
			failing(cs, "get", "secrets", internal)
			return plainSecretConfig
		}, wantErr: "reading secret fake/web-tls: Internal error occurred: etcd is sad"},
		"ClusterTrustBundles not served": {setup: func(e *env, cs *fake.Clientset) string {
			failing(cs, "list", "clustertrustbundles", notFound)
			cs.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: "v1.31.4"}
			return ctbConfig
		}, wantErr: "ca_bundle.ctb: source cluster_trust_bundle of signer example.com/fake: Kubernetes v1.31.4: ", wantIs: kube.ErrTrustBundlesNotServed},
		"listing ClusterTrustBundles fails": {setup: func(e *env, cs *fake.Clientset) string {
			failing(cs, "list", "clustertrustbundles", internal)
			return ctbConfig
		}, wantErr: "ca_bundle.ctb: listing ClusterTrustBundles of example.com/fake: Internal error occurred: etcd is sad"},
		"a ClusterTrustBundle holding no PEM": {setup: func(e *env, cs *fake.Clientset) string {
			ctb := &certv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "example.com:fake:bad"},
				Spec: certv1.ClusterTrustBundleSpec{SignerName: "example.com/fake", TrustBundle: "not PEM"}}
			if _, err := cs.CertificatesV1().ClusterTrustBundles().Create(context.Background(), ctb, metav1.CreateOptions{}); err != nil {
				e.t.Fatal(err)
			}
			return ctbConfig
		}, wantErr: "ca_bundle.ctb: ClusterTrustBundle example.com:fake:bad: no CERTIFICATE PEM block found"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, cs := newFakeEnv(t)
			cfg := e.config(tc.setup(e, cs))
			_, err := e.refresh(cfg)
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v\nwant one starting %q", err, tc.wantErr)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err = %v, not %v", err, tc.wantIs)
			}
		})
	}
}

// inlineBundle puts a fresh CA in for $PEM.
func (e *env) inlineBundle(src string) string {
	ca := e.cert("inline", e.key("inline"), nil, nil, time.Now().Add(time.Hour))
	return strings.Replace(src, "$PEM", strings.TrimSpace(string(pemOf(ca))), 1)
}
