package refresh

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/internal/formats"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/state"
)

// secretConfig is one certificate delivered as a Secret only, with a
// PKCS#12 keystore whose password is in the Secret web-password.
const secretConfig = `
certificate "web" {
  common_name = "web"
  signer_name = "example.com/refresh"
  usages      = ["digital signature", "server auth"]
  secret {
    namespace = "$NS"
    name      = "web-tls"
    formats   = ["pkcs12"]
  }
  keystore {
    password_secret {
      namespace = "$NS"
      name      = "web-password"
      key       = "password"
    }
  }
}
`

// otherLineage is another certform state's lineage, the same in every run
// so that the goldens can name it.
const otherLineage = "0a1b2c3d-0000-4000-8000-00000000beef"

// object creates a Secret in the case's namespace and names its data's
// digest "secret:LABEL" in the goldens.
func (e *env) object(name, label string, typ corev1.SecretType, labels, annotations map[string]string, data map[string][]byte) {
	e.t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}, Type: typ, Data: data}
	if _, err := e.cs.CoreV1().Secrets(e.ns).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	e.names[digest.OfSecret(data)] = "secret:" + label
}

// tlsSecret creates web-tls as certform writes it (labels as given), with
// a PKCS#12 keystore made with password, and records it in state.
func (e *env) tlsSecret(labels, annotations map[string]string, password string) map[string][]byte {
	e.t.Helper()
	k, ca := e.key("web"), e.key("ca")
	caCert := e.cert("ca", ca, nil, nil, time.Now().Add(time.Hour))
	leaf := e.cert("web", k, caCert, ca, time.Now().Add(time.Hour))
	data := map[string][]byte{"tls.crt": pemOf(leaf, caCert), "tls.key": e.keyPEM(k), "ca.crt": pemOf(caCert)}
	m, err := formats.NewMaterial(data["tls.key"], data["tls.crt"], data["ca.crt"])
	if err != nil {
		e.t.Fatal(err)
	}
	if data["keystore.p12"], err = formats.Encode(formats.KindPKCS12, m, password); err != nil {
		e.t.Fatal(err)
	}
	e.object("web-tls", "web-tls", corev1.SecretTypeTLS, labels, annotations, data)
	e.record("certificate.web", state.Certificate{Status: state.StatusIssued, KeySHA256: e.fingerprint(k), SerialNumber: leaf.SerialNumber.Text(16),
		Secret: &state.SecretRecord{Namespace: e.ns, Name: "web-tls", SHA256: digest.OfSecret(data), Keys: []string{"keystore.p12"}}}, nil)
	return data
}

// password creates the Secret the configured keystore password is read from.
func (e *env) password(p string) {
	e.object("web-password", "password", corev1.SecretTypeOpaque, nil, nil, map[string][]byte{"password": []byte(p)})
}

// TestRefreshSecrets: certificates' TLS Secrets of this lineage are listed
// in the namespaces of configuration and state and observed as digests
// and fingerprints (never the key), with their labels and annotations;
// adopted ones are told apart; a Secret someone else has at a configured
// name is found with one GET, with its owner; a keystore that no longer
// opens with the configured password is named.
func TestRefreshSecrets(t *testing.T) {
	cases := map[string]struct {
		setup  func(e *env)
		config string
	}{
		"as written": {setup: func(e *env) {
			e.password("changeit")
			e.tlsSecret(e.ours(), map[string]string{kube.AnnotationAddr: "certificate.web"}, "changeit")
		}, config: secretConfig},
		"changed by hand": {setup: func(e *env) {
			e.password("changeit")
			e.tlsSecret(e.ours(), nil, "changeit")
			s, err := e.cs.CoreV1().Secrets(e.ns).Get(context.Background(), "web-tls", metav1.GetOptions{})
			if err != nil {
				e.t.Fatal(err)
			}
			o := e.key("other")
			s.Data["tls.key"] = e.keyPEM(o)
			e.names[digest.OfSecret(s.Data)] = "secret:edited"
			if _, err := e.cs.CoreV1().Secrets(e.ns).Update(context.Background(), s, metav1.UpdateOptions{}); err != nil {
				e.t.Fatal(err)
			}
		}, config: secretConfig},
		"adopted": {setup: func(e *env) {
			e.password("changeit")
			e.tlsSecret(e.ours(), map[string]string{kube.AnnotationAdopted: "true"}, "changeit")
		}, config: secretConfig},
		"keystore password changed since": {setup: func(e *env) {
			e.password("new-password")
			e.tlsSecret(e.ours(), nil, "changeit")
		}, config: secretConfig},
		"a Secret of someone else at the configured name": {setup: func(e *env) {
			e.password("changeit")
			e.object("web-tls", "theirs", corev1.SecretTypeOpaque, map[string]string{"app": "theirs"}, nil, map[string][]byte{"x": []byte("y")})
		}, config: secretConfig},
		"a Secret of another certform state": {setup: func(e *env) {
			e.password("changeit")
			e.object("web-tls", "other", corev1.SecretTypeTLS, map[string]string{kube.LabelManagedBy: kube.ManagedByValue, kube.LabelLineage: otherLineage}, nil,
				map[string][]byte{"tls.crt": nil, "tls.key": nil})
		}, config: secretConfig},
		"recorded but no longer configured": {setup: func(e *env) {
			e.tlsSecret(e.ours(), nil, "changeit")
		}, config: webConfig},
		"nothing there yet": {setup: func(e *env) { e.password("changeit") }, config: secretConfig},
		"keystore files that open or not or were changed": {setup: func(e *env) {
			e.password("changeit")
			k, ca := e.key("web"), e.key("ca")
			caCert := e.cert("ca", ca, nil, nil, time.Now().Add(time.Hour))
			m, err := formats.NewMaterial(e.keyPEM(k), pemOf(e.cert("web", k, caCert, ca, time.Now().Add(time.Hour)), caCert), pemOf(caCert))
			if err != nil {
				e.t.Fatal(err)
			}
			files := map[string]string{}
			for _, f := range []struct{ name, password string }{{"opens.p12", "changeit"}, {"old.p12", "old-password"}, {"changed.p12", "old-password"}} {
				data, err := formats.Encode(formats.KindPKCS12, m, f.password)
				if err != nil {
					e.t.Fatal(err)
				}
				files[e.write(f.name, f.name, data, 0o600)] = state.RolePKCS12
			}
			e.record("certificate.web", state.Certificate{Status: state.StatusIssued}, files)
			e.write("changed.p12", "changed", []byte("not a keystore"), 0o600)
		}, config: secretConfig},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			tc.setup(e)
			w, err := e.refresh(e.config(tc.config))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, e.render(w))
		})
	}
}
