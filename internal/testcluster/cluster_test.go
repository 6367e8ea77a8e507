package testcluster

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"os"
	"strings"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestReady(t *testing.T) {
	c := Shared(t)
	cs, err := c.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
	if err != nil || string(body) != "ok" {
		t.Fatalf("/readyz = %q, %v", body, err)
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.Major != "1" || v.Minor != "37" || v.GitVersion != "v1.37.2" {
		t.Errorf("server version = %s (%s.%s), want v1.37.2 (1.37): the build must stamp the version", v.GitVersion, v.Major, v.Minor)
	}
	if c.Startup > 0 {
		t.Logf("cluster startup until the signer issued: %s", c.Startup)
	}
}

// TestOldestReady: the oldest supported version starts with the same
// flags and health checks, its signer issues (Start waits for it), and it
// reports the version the compatibility suite expects.
func TestOldestReady(t *testing.T) {
	c := SharedOldest(t)
	if c.Version.GitVersion == "" || c.Version.Major+"."+c.Version.Minor != OldestMinor {
		t.Errorf("server version = %s (%s.%s), want %s", c.Version.GitVersion, c.Version.Major, c.Version.Minor, OldestMinor)
	}
	cs, err := c.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
	if err != nil || string(body) != "ok" {
		t.Fatalf("/readyz = %q, %v", body, err)
	}
	t.Logf("Kubernetes %s: startup until the signer issued: %s", c.Version.GitVersion, c.Startup)
}

func newCSR(t *testing.T, name string) *certv1.CertificateSigningRequest {
	t.Helper()
	key := newKey()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: "system:node:round-trip", Organization: []string{"system:nodes"}},
		DNSNames: []string{"round-trip.example"},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return &certv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: certv1.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: "kubernetes.io/kubelet-serving",
			Usages:     []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageServerAuth},
		},
	}
}

func approved(csr *certv1.CertificateSigningRequest) *certv1.CertificateSigningRequest {
	csr = csr.DeepCopy()
	csr.Status.Conditions = append(csr.Status.Conditions, certv1.CertificateSigningRequestCondition{
		Type: certv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "Test", Message: "approved by test",
	})
	return csr
}

// TestCSRRoundTrip creates, approves and collects a CSR through the real
// signer, as the task page does with kubectl.
func TestCSRRoundTrip(t *testing.T) {
	c := Shared(t)
	cs, err := c.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	created, err := csrs.Create(ctx, newCSR(t, "round-trip"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { csrs.Delete(context.Background(), created.Name, metav1.DeleteOptions{}) })
	if _, err := csrs.UpdateApproval(ctx, created.Name, approved(created), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	w, err := csrs.Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", created.Name).String(), ResourceVersion: created.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var issued []byte
	for ev := range w.ResultChan() {
		if csr, ok := ev.Object.(*certv1.CertificateSigningRequest); ok && len(csr.Status.Certificate) > 0 {
			issued = csr.Status.Certificate
			break
		}
	}
	if issued == nil {
		t.Fatalf("no certificate before the watch ended: %v", ctx.Err())
	}
	block, _ := pem.Decode(issued)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.SignerCA)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "round-trip.example"}); err != nil {
		t.Errorf("issued certificate does not chain to the signer CA: %v", err)
	}
}

// TestRestrictedUser checks the second kubeconfig: it may create CSRs but
// not approve them.
func TestRestrictedUser(t *testing.T) {
	c := Shared(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", c.RestrictedKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	created, err := csrs.Create(ctx, newCSR(t, "restricted"), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("restricted user cannot create a CSR: %v", err)
	}
	admin, _ := c.AdminClient()
	t.Cleanup(func() {
		admin.CertificatesV1().CertificateSigningRequests().Delete(context.Background(), created.Name, metav1.DeleteOptions{})
	})
	_, err = csrs.UpdateApproval(ctx, created.Name, approved(created), metav1.UpdateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("restricted user approving: err = %v, want Forbidden", err)
	}
}

// TestComponentExitsAreWatched kills components of a private cluster:
// kube-controller-manager is started again and signs again; etcd's death
// is reported with the tail of its log, and a wait for health ends on it
// at once instead of at its timeout.
func TestComponentExitsAreWatched(t *testing.T) {
	c, err := StartPrivate(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if err := c.Check(); err != nil || len(c.Exits()) != 0 {
		t.Fatalf("a fresh cluster: Check = %v, exits %v", err, c.Exits())
	}

	kcm := c.proc("kube-controller-manager")
	kcm.cmd.Process.Kill()
	<-kcm.done // closed once the replacement runs
	if c.proc("kube-controller-manager") == kcm {
		t.Fatal("kube-controller-manager was not started again")
	}
	if exits := c.Exits(); len(exits) != 1 || !strings.Contains(exits[0].Error(), "kube-controller-manager exited (signal: killed)") {
		t.Errorf("exits after killing kube-controller-manager: %v", exits)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := c.waitControllerManager(ctx); err != nil {
		t.Fatalf("the restarted kube-controller-manager: %v", err)
	}

	etcd := c.proc("etcd")
	wctx, stop := c.watchdog(ctx)
	defer stop()
	etcd.cmd.Process.Kill()
	<-wctx.Done()
	err = context.Cause(wctx)
	if err == nil || !strings.Contains(err.Error(), "etcd exited (signal: killed); last lines of "+c.path("logs", "etcd.log")) ||
		!strings.Contains(err.Error(), "=== testcluster: starting etcd") {
		t.Errorf("the watchdog after etcd died: %v", err)
	}
	if err := c.Check(); err == nil || !strings.Contains(err.Error(), "etcd exited") {
		t.Errorf("Check after etcd died: %v", err)
	}
}

// TestFleet: two clusters run at once, each its own: directory, API
// server, kube-system namespace (identity) and signer CA, and a
// kubeconfig can name both.
func TestFleet(t *testing.T) {
	ctx := context.Background()
	fleet := StartFleet(t, 2)
	a, b := fleet[0], fleet[1]
	if a.Dir == b.Dir || a.APIServerURL() == b.APIServerURL() {
		t.Fatalf("the clusters share a directory or an API server: %s %s, %s %s", a.Dir, a.APIServerURL(), b.Dir, b.APIServerURL())
	}
	if a.SignerCA.Equal(b.SignerCA) {
		t.Error("the clusters share a signer CA")
	}
	uidA, err := a.UID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	uidB, err := b.UID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if uidA == uidB {
		t.Errorf("both kube-system namespaces have UID %s", uidA)
	}
	kc := t.TempDir() + "/fleet.kubeconfig"
	if err := WriteFleetKubeconfig(kc, []string{"a", "b"}, map[string]string{"a": a.AdminKubeconfig, "b": b.AdminKubeconfig}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"a": uidA, "b": uidB} {
		cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(&clientcmd.ClientConfigLoadingRules{ExplicitPath: kc},
			&clientcmd.ConfigOverrides{CurrentContext: name}).ClientConfig()
		if err != nil {
			t.Fatal(err)
		}
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ns, err := cs.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("context %s: %v", name, err)
		}
		if string(ns.UID) != want {
			t.Errorf("context %s reaches kube-system %s, want %s", name, ns.UID, want)
		}
	}
}
