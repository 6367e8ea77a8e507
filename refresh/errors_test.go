package refresh

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/testcluster"
)

// fleetConfig is a bundle published in the default cluster whose source
// is in the cluster "eu".
const fleetConfig = `
kubernetes "eu" {}

ca_bundle "fleet" {
  source {
    cluster = kubernetes.eu
    configmap {
      namespace = "$NS"
      name      = "source-cm"
    }
  }
  configmap {
    namespaces = ["$NS"]
    name       = "fleet"
  }
}
`

// plainSecretConfig is one certificate delivered as a Secret only.
const plainSecretConfig = `
certificate "web" {
  common_name = "web"
  signer_name = "example.com/refresh"
  usages      = ["digital signature", "server auth"]
  secret {
    namespace = "$NS"
    name      = "web-tls"
  }
}
`

// closedServer is a client configuration for an API server address where
// nothing listens (a port that was free a moment ago).
func closedServer(t *testing.T) *rest.Config {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return &rest.Config{Host: "https://" + addr, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
}

// restricted is a client of a user of the real cluster with only rules.
func (e *env) restricted(name string, rules ...rbacv1.PolicyRule) kubernetes.Interface {
	e.t.Helper()
	c := testcluster.Shared(e.t)
	kubeconfig, err := c.UserKubeconfig(context.Background(), e.ns+"-"+name, rules)
	if err != nil {
		e.t.Fatal(err)
	}
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: kubeconfig})
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

// TestRefreshErrorsRealCluster: what the real server answers on demand —
// a source that is missing or holds no certificate, a signer without
// ClusterTrustBundles, a keystore password Secret that is missing, a user
// without the rights to list, a server that does not answer — ends the
// refresh with an error naming the object ($NS is the case's namespace).
// A user who may list but not GET only cannot tell whose the object at a
// configured name is: that is left to apply, no error.
func TestRefreshErrorsRealCluster(t *testing.T) {
	noCSRs := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps"}, Verbs: []string{"list"}}
	cases := map[string]struct {
		setup   func(e *env) (config string, cs kubernetes.Interface, others Clients)
		wantErr string // "" for none
	}{
		"source ConfigMap missing": {setup: func(e *env) (string, kubernetes.Interface, Clients) {
			return fleetConfig, nil, Clients{"eu": e.cs}
		}, wantErr: `ca_bundle.fleet: reading source ConfigMap $NS/source-cm: configmaps "source-cm" not found`},
		"source holds no certificate": {setup: func(e *env) (string, kubernetes.Interface, Clients) {
			e.configMap("source-cm", nil, nil, map[string]string{"ca.crt": "not PEM"})
			return fleetConfig, nil, Clients{"eu": e.cs}
		}, wantErr: `ca_bundle.fleet: source ConfigMap $NS/source-cm key "ca.crt": `},
		"source Secret holds no certificate": {setup: func(e *env) (string, kubernetes.Interface, Clients) {
			cfg := e.bundleEnv()
			e.cs.CoreV1().Secrets(e.ns).Delete(context.Background(), "source-secret", metav1.DeleteOptions{})
			e.object("source-secret", "empty", corev1.SecretTypeOpaque, nil, nil, map[string][]byte{"ca.pem": nil})
			return cfg, nil, nil
		}, wantErr: `ca_bundle.trust: source Secret $NS/source-secret key "ca.pem": `},
		"source in a cluster not reachable in this run": {setup: func(e *env) (string, kubernetes.Interface, Clients) {
			return fleetConfig, nil, nil
		}, wantErr: `ca_bundle.fleet: a source reads cluster "eu", which cannot be reached in this run`},
		"no ClusterTrustBundle of the signer": {setup: func(e *env) (string, kubernetes.Interface, Clients) {
			return `ca_bundle "ctb" {
  source {
    cluster_trust_bundle { signer_name = "example.com/$NS" }
  }
  configmap {
    namespaces = ["$NS"]
    name       = "ctb"
  }
}`, nil, nil
		}, wantErr: `ca_bundle.ctb: no ClusterTrustBundle holds CAs for signer example.com/$NS`},
		"keystore password Secret missing": {setup: func(e *env) (string, kubernetes.Interface, Clients) {
			e.tlsSecret(e.ours(), nil, "changeit")
			return secretConfig, nil, nil
		}, wantErr: `certificate.web: reading the keystore password from Secret $NS/web-password`},
		"forbidden to list Secrets": {setup: func(e *env) (string, kubernetes.Interface, Clients) {
			return secretConfig, e.restricted("no-secrets"), nil
		}, wantErr: `listing certform's Secrets in $NS: secrets is forbidden`},
		"forbidden to list CSRs": {setup: func(e *env) (string, kubernetes.Interface, Clients) {
			e.inFlight()
			return webConfig, e.restricted("no-csrs", noCSRs), nil
		}, wantErr: `listing CSRs: certificatesigningrequests.certificates.k8s.io is forbidden`},
		"may list but not read someone else's Secret": {setup: func(e *env) (string, kubernetes.Interface, Clients) {
			e.object("web-tls", "theirs", corev1.SecretTypeOpaque, nil, nil, map[string][]byte{"x": []byte("y")})
			return plainSecretConfig, e.restricted("list-only", noCSRs), nil
		}},
		"server not answering": {setup: func(e *env) (string, kubernetes.Interface, Clients) {
			e.inFlight()
			cs, err := kubernetes.NewForConfig(closedServer(e.t))
			if err != nil {
				e.t.Fatal(err)
			}
			return webConfig, cs, nil
		}, wantErr: `listing CSRs: Get "https://127.0.0.1:`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			src, cs, others := tc.setup(e)
			if cs == nil {
				cs = e.cs
			}
			cfg := e.config(src)
			w, err := RefreshIn(context.Background(), cfg, e.st, cs, others, e.keys, nil)
			want := e.expand(tc.wantErr)
			switch {
			case want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case want == "":
				golden(t, e.render(w))
			case err == nil || !strings.HasPrefix(err.Error(), want):
				t.Fatalf("err = %v\nwant one starting %q", err, want)
			}
		})
	}
}

// TestRefreshReadsSourcesInOtherClusters: a source in another cluster of a
// fleet is read through that cluster's client (here the same real
// cluster, under the name "eu").
func TestRefreshReadsSourcesInOtherClusters(t *testing.T) {
	e := newEnv(t)
	ca := e.key("eu")
	e.configMap("source-cm", nil, nil, map[string]string{"ca.crt": string(pemOf(e.cert("eu", ca, nil, nil, time.Now().Add(time.Hour))))})
	w, err := RefreshIn(context.Background(), e.config(fleetConfig), e.st, e.cs, Clients{"eu": e.cs}, e.keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, e.render(w))
}

// TestRefreshClusterTrustBundles: a cluster_trust_bundle source holds the
// CAs of every ClusterTrustBundle of its signer, and of no other signer.
func TestRefreshClusterTrustBundles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	signer := "example.com/" + e.ns
	for i, name := range []string{"one", "two", "other"} {
		s := signer
		if name == "other" {
			s += "-other"
		}
		ca := e.cert(name, e.key(name), nil, nil, time.Now().Add(time.Hour))
		ctb := &certv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: strings.ReplaceAll(s, "/", ":") + fmt.Sprintf(":%d", i)},
			Spec: certv1.ClusterTrustBundleSpec{SignerName: s, TrustBundle: string(pemOf(ca))}}
		if _, err := e.cs.CertificatesV1().ClusterTrustBundles().Create(ctx, ctb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.cs.CertificatesV1().ClusterTrustBundles().Delete(ctx, ctb.Name, metav1.DeleteOptions{}) })
	}
	w, err := e.refresh(e.config(`ca_bundle "ctb" {
  source {
    cluster_trust_bundle { signer_name = "example.com/$NS" }
  }
  configmap {
    namespaces = ["$NS"]
    name       = "ctb"
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, e.render(w))
}
