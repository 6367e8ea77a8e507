package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/testcluster"
)

// setUpIssuers writes the CA Secrets and the issuers naming them, and
// waits until cert-manager has marked each issuer Ready:
//   - ClusterIssuer certform-root: the root, in cert-manager/certform-root-ca;
//   - ClusterIssuer certform-intermediate: an intermediate under that root
//     (tls.crt the intermediate, ca.crt the root), as a CA is often run;
//   - Issuer cm-team/team-ca: a namespaced Issuer with its own root.
func (cm *certManager) setUpIssuers(ctx context.Context, c *testcluster.Cluster) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.AdminKubeconfig)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	for _, ns := range []string{cmNamespace, cmTeamNamespace} {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	secrets := []struct {
		namespace, name string
		cert            *x509.Certificate
		key             crypto.Signer
		ca              *x509.Certificate
	}{
		{cmNamespace, cmRoot + "-ca", cm.root, cm.rootKey, cm.root},
		{cmNamespace, cmIntermediate + "-ca", cm.intermediate, cm.intermediateKey, cm.root},
		{cmTeamNamespace, cmTeam, cm.team, cm.teamKey, cm.team},
	}
	for _, s := range secrets {
		keyPEM, err := pki.EncodePrivateKey(s.key, pki.PKCS8)
		if err != nil {
			return err
		}
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.namespace, Name: s.name}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.crt": pki.EncodeCertificates(s.cert), "tls.key": keyPEM, "ca.crt": pki.EncodeCertificates(s.ca)}}
		_, err = cs.CoreV1().Secrets(s.namespace).Create(ctx, sec, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) { // a cluster kept from an earlier run
			_, err = cs.CoreV1().Secrets(s.namespace).Update(ctx, sec, metav1.UpdateOptions{})
		}
		if err != nil {
			return fmt.Errorf("writing Secret %s/%s: %w", s.namespace, s.name, err)
		}
	}
	// cert-manager applies its CRDs as it starts: wait until they are served.
	crds := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	for _, name := range []string{"issuers.cert-manager.io", "clusterissuers.cert-manager.io"} {
		if err := waitCondition(ctx, crds, name, "Established"); err != nil {
			return err
		}
	}
	issuers := []struct {
		gvr schema.GroupVersionResource
		obj *unstructured.Unstructured
	}{
		{gvrClusterIssuers, caIssuer("", cmRoot, cmRoot+"-ca")},
		{gvrClusterIssuers, caIssuer("", cmIntermediate, cmIntermediate+"-ca")},
		{gvrIssuers, caIssuer(cmTeamNamespace, cmTeam, cmTeam)},
	}
	for _, is := range issuers {
		client := dyn.Resource(is.gvr).Namespace(is.obj.GetNamespace())
		if _, err := client.Create(ctx, is.obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %s %s: %w", is.obj.GetKind(), is.obj.GetName(), err)
		}
		if err := waitCondition(ctx, client, is.obj.GetName(), "Ready"); err != nil {
			return err
		}
	}
	return nil
}

// waitCondition watches the object name until its condition cond is True.
func waitCondition(ctx context.Context, client dynamic.ResourceInterface, name, cond string) error {
	w, err := client.Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
	if err != nil {
		return err
	}
	defer w.Stop()
	var last any
	for ev := range w.ResultChan() {
		u, ok := ev.Object.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		last = conds
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == cond && m["status"] == "True" {
				return nil
			}
		}
	}
	return fmt.Errorf("%s is not %s (conditions: %v): %w", name, cond, last, context.Cause(ctx))
}

// makeCAs makes the root, an intermediate under it, and the namespaced
// Issuer's own root.
func (cm *certManager) makeCAs() error {
	var rootKey crypto.Signer
	var err error
	if cm.root, rootKey, err = newCA("certform test root", nil, nil); err != nil {
		return err
	}
	if cm.intermediate, cm.intermediateKey, err = newCA("certform test intermediate", cm.root, rootKey); err != nil {
		return err
	}
	cm.rootKey = rootKey
	cm.team, cm.teamKey, err = newCA("certform test team CA", nil, nil)
	return err
}

// newCA makes a CA certificate signed by parent (self-signed when nil).
func newCA(cn string, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, crypto.Signer, error) {
	key, err := pki.GenerateKey(pki.KeySpec{Algorithm: pki.ECDSA, Size: 256})
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

var (
	gvrIssuers        = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "issuers"}
	gvrClusterIssuers = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "clusterissuers"}
)

// caIssuer is a cert-manager CA Issuer (namespace set) or ClusterIssuer
// whose CA is in Secret secret.
func caIssuer(namespace, name, secret string) *unstructured.Unstructured {
	kind := "ClusterIssuer"
	if namespace != "" {
		kind = "Issuer"
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cert-manager.io/v1", "kind": kind,
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"ca": map[string]any{"secretName": secret}},
	}}
	if namespace != "" {
		u.SetNamespace(namespace)
	}
	return u
}

// writeCA writes ca to a file for openssl and returns its path.
func writeCA(t *testing.T, ca *x509.Certificate) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(path, pki.EncodeCertificates(ca), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
