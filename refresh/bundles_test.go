package refresh

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/state"
)

// bundleConfig is a ca_bundle from a ConfigMap, a Secret and an inline
// PEM ($PEM), published as a ConfigMap to the case's namespace and as a
// Secret to the namespaces labelled for the case.
const bundleConfig = `
ca_bundle "trust" {
  source {
    configmap {
      namespace = "$NS"
      name      = "source-cm"
    }
  }
  source {
    secret {
      namespace = "$NS"
      name      = "source-secret"
      key       = "ca.pem"
    }
  }
  source {
    pem = <<EOT
$PEM
EOT
  }
  configmap {
    namespaces = ["$NS"]
    name       = "trust"
  }
  secret {
    namespace_selector = "refresh-case=$NS"
    name               = "trust"
  }
}
`

// bundleEnv is a case with bundleConfig's sources in the cluster, CAs
// "cm", "secret" and "inline", and returns the configuration.
func (e *env) bundleEnv() string {
	e.t.Helper()
	ca := func(name string) *x509.Certificate {
		return e.cert(name, e.key(name), nil, nil, time.Now().Add(time.Hour))
	}
	cm, sec, inline := ca("cm"), ca("secret"), ca("inline")
	e.configMap("source-cm", nil, nil, map[string]string{"ca.crt": string(pemOf(cm))})
	e.object("source-secret", "source", corev1.SecretTypeOpaque, nil, nil, map[string][]byte{"ca.pem": pemOf(sec, cm)})
	return strings.Replace(bundleConfig, "$PEM", strings.TrimSpace(string(pemOf(inline))), 1)
}

// configMap creates a ConfigMap in the case's namespace.
func (e *env) configMap(name string, labels, annotations, data map[string]string) {
	e.t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}, Data: data}
	if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// namespace creates a namespace labelled for the case's selector, deleted
// when the case ends; terminating, it is deleted at once (the test
// cluster runs no namespace controller, so it stays Terminating).
func (e *env) namespace(suffix string, terminating bool) {
	e.t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.ns + "-" + suffix, Labels: map[string]string{"refresh-case": e.ns}}}
	if _, err := e.cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { e.cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}) })
	if !terminating {
		return
	}
	if err := e.cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil {
		e.t.Fatal(err)
	}
	got, err := e.cs.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
	if err != nil || got.Status.Phase != corev1.NamespaceTerminating {
		e.t.Fatalf("namespace %s after delete: %v, %v", ns.Name, got.Status.Phase, err)
	}
}

// published creates the bundle's ConfigMap target as certform publishes
// it, holding cas, and records it in state.
func (e *env) published(cas ...*x509.Certificate) {
	e.t.Helper()
	e.configMap("trust", e.ours(), map[string]string{kube.AnnotationAddr: "ca_bundle.trust", kube.AnnotationKey: "ca.crt"}, map[string]string{"ca.crt": string(pemOf(cas...))})
	e.st.Bundles["ca_bundle.trust"] = &state.Bundle{Addr: "ca_bundle.trust", Targets: map[string]state.BundleTarget{
		"configmap:" + e.ns + "/trust": {Kind: "configmap", Namespace: e.ns, Name: "trust", Key: "ca.crt"}}}
}

// TestRefreshBundles: each ca_bundle's sources are read and merged
// (de-duplicated, sorted) and its targets' namespaces resolved (a
// selector's terminating namespaces left out); the objects certform
// published are listed with the CAs they hold now, so drift shows; the
// certificates in state are matched to the known CAs that signed them;
// someone else's object at a target's name is found.
func TestRefreshBundles(t *testing.T) {
	cases := map[string]func(e *env) string{
		"sources and targets resolved": func(e *env) string {
			cfg := e.bundleEnv()
			e.namespace("a", false)
			e.namespace("b", false)
			e.namespace("gone", true)
			return cfg
		},
		"published bundle drifted": func(e *env) string {
			cfg := e.bundleEnv()
			e.published(e.cert("old", e.key("old"), nil, nil, time.Now().Add(time.Hour)))
			return cfg
		},
		"a ConfigMap of someone else at the target": func(e *env) string {
			cfg := e.bundleEnv()
			e.configMap("trust", map[string]string{"app": "theirs"}, nil, map[string]string{"ca.crt": "theirs"})
			return cfg
		},
		"recorded but no longer configured": func(e *env) string {
			e.published(e.cert("old", e.key("old"), nil, nil, time.Now().Add(time.Hour)))
			return ``
		},
		"issuers of the certificates in state": func(e *env) string {
			cfg := e.bundleEnv()
			ca := e.key("issuer")
			caCert := e.cert("issuer", ca, nil, nil, time.Now().Add(time.Hour))
			e.configMap("issuer", nil, nil, map[string]string{"ca.crt": string(pemOf(caCert))})
			k := e.key("web")
			cert := e.write("web.crt", "web.crt", pemOf(e.cert("web", k, caCert, ca, time.Now().Add(time.Hour))), 0o644)
			e.record("certificate.web", state.Certificate{Status: state.StatusIssued}, map[string]string{cert: state.RoleCert})
			return cfg + `
ca_bundle "issuer" {
  source {
    configmap {
      namespace = "$NS"
      name      = "issuer"
    }
  }
  configmap {
    namespaces = ["$NS"]
    name       = "issuer-bundle"
  }
}`
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			src := setup(e)
			w, err := e.refresh(e.config(src))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, e.render(w))
		})
	}
}
