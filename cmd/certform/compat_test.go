package main

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	certv1alpha1 "k8s.io/api/certificates/v1alpha1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/approver"
	"github.com/certform/certform/internal/fault"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/testcluster"
	"github.com/certform/certform/state/backend/local"
)

// The compatibility suite: the journeys that touch version-dependent APIs,
// run against the oldest Kubernetes version certform supports
// (testcluster.OldestMinor). make test runs them with the rest; alone:
//
//	CERTFORM_CLUSTER_BIN_OLDEST=$(./hack/build-cluster.sh 1.32) go test -run TestCompat ./cmd/certform

// oldestCluster is the shared cluster of the oldest supported version.
func oldestCluster(t *testing.T) *testcluster.Cluster {
	t.Helper()
	c := testcluster.SharedOldest(t)
	t.Logf("against Kubernetes %s", c.Version.GitVersion)
	return c
}

// TestCompatIssueSecretAndBundle issues with expirationSeconds, writes a
// TLS Secret and publishes a ConfigMap CA bundle, both by server-side apply;
// a second plan finds nothing to do, and a deleted Secret is restored.
func TestCompatIssueSecretAndBundle(t *testing.T) {
	c := oldestCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "compat")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "signer.crt"), mustRead(t, c.SignerCAFile), 0o644)
	cfg := strings.Replace(clientCert("compat", true), "  output {", `  secret {
    namespace = "compat"
    name      = "compat-tls"
  }
  output {
    ca_bundle = ca_bundle.trust
    ca_file   = "ca.crt"`, 1) + bundleConfig([]string{"signer.crt"}, "compat")
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644)
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}

	certs, err := pki.ParseCertificatesPEM(mustRead(t, filepath.Join(dir, "compat.crt")))
	if err != nil || len(certs) == 0 {
		t.Fatalf("compat.crt: %d certificates, %v", len(certs), err)
	}
	cert := certs[0]
	// kube-controller-manager backdates NotBefore by 5 minutes; without
	// expirationSeconds the certificate would live a year.
	if life := cert.NotAfter.Sub(cert.NotBefore); life > time.Hour+10*time.Minute {
		t.Errorf("certificate lives %s: expiration_seconds = 3600 was not honoured", life)
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.SignerCA)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("issued certificate does not chain to the signer CA: %v", err)
	}

	cs := clientsetFor(t, c.AdminKubeconfig)
	ctx := context.Background()
	sec, err := cs.CoreV1().Secrets("compat").Get(ctx, "compat-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sec.Type != "kubernetes.io/tls" || len(sec.Data["tls.crt"]) == 0 {
		t.Errorf("Secret: type %q, %d bytes of tls.crt", sec.Type, len(sec.Data["tls.crt"]))
	}
	cm, err := cs.CoreV1().ConfigMaps("compat").Get(ctx, "trust", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for what, fields := range map[string][]metav1.ManagedFieldsEntry{"Secret": sec.ManagedFields, "ConfigMap": cm.ManagedFields} {
		if !appliedBy(fields, "certform") {
			t.Errorf("%s not server-side applied by certform: %+v", what, fields)
		}
	}
	if got, _ := publishedCAs(t, c.AdminKubeconfig, "compat"); len(got) != 1 || got[0] != c.SignerCA.Subject.CommonName {
		t.Errorf("compat/trust holds %v", got)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after apply: want no changes\n%s", r)
	}

	if err := cs.CoreV1().Secrets("compat").Delete(ctx, "compat-tls", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply restoring the Secret\n%s", r)
	}
	if _, err := cs.CoreV1().Secrets("compat").Get(ctx, "compat-tls", metav1.GetOptions{}); err != nil {
		t.Errorf("Secret not restored: %v", err)
	}
}

func appliedBy(fields []metav1.ManagedFieldsEntry, manager string) bool {
	for _, f := range fields {
		if f.Manager == manager && f.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}

// TestCompatKubernetesBackendLease keeps state in the cluster: a run killed
// while holding the Lease locks out the next one, force-unlock releases
// it, and apply and plan work through the backend.
func TestCompatKubernetesBackendLease(t *testing.T) {
	c := oldestCluster(t)
	dir := writeConfig(t, kubernetesBackend()+clientCert("compat-state", true))
	cmd := certformCmd(dir, c.AdminKubeconfig, "apply", "--auto-approve")
	cmd.Env = append(cmd.Env, fault.EnvVar+"="+fault.Waiting)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the run to kill was not killed: %v\n%s", err, out)
	}
	r := certform(t, dir, c.AdminKubeconfig, "plan", "--lock")
	m := lockID.FindStringSubmatch(r.stderr)
	if r.code != exitError || m == nil {
		t.Fatalf("plan while a dead run holds the Lease: want the lock ID\n%s", r)
	}
	mustContain(t, r, "state is locked by")
	if r := certform(t, dir, c.AdminKubeconfig, "force-unlock", "-force", m[1]); r.code != exitOK {
		t.Fatalf("force-unlock -force\n%s", r)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply after force-unlock\n%s", r)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan from the cluster's state: want no changes\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, local.DefaultPath)); !os.IsNotExist(err) {
		t.Error("a local state file was written")
	}
}

// TestCompatPermissionsAndIdentity: the permission precheck
// (SelfSubjectAccessReviews) names every missing rule before anything is
// submitted, and a SelfSubjectReview says who the credentials are.
func TestCompatPermissionsAndIdentity(t *testing.T) {
	c := oldestCluster(t)
	kubeconfig := userKubeconfig(t, c, "compat-reader", csrRule("get", "list", "watch"),
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}})
	r := certform(t, writeConfig(t, secretCert("compat-rbac")), kubeconfig, "apply", "--auto-approve")
	if r.code != exitError {
		t.Fatalf("apply as a reader: want exit 1\n%s", r)
	}
	mustContain(t, r, "missing 5 permission(s) to apply this plan; nothing was submitted:",
		`{apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests"], verbs: ["create"]}`,
		"cannot create secrets (in namespace default)")

	id, err := approver.WhoAmI(context.Background(), clientsetFor(t, kubeconfig))
	if err != nil {
		t.Fatal(err)
	}
	if id.Username != "system:serviceaccount:default:compat-reader" {
		t.Errorf("SelfSubjectReview: username %q", id.Username)
	}
}

// ctbSource is a ca_bundle whose only source is signer's ClusterTrustBundles.
func ctbSource(signer string) string {
	return `
ca_bundle "ctb" {
  source {
    cluster_trust_bundle { signer_name = "` + signer + `" }
  }
  configmap {
    namespaces = ["default"]
    name       = "ctb-trust"
  }
}
`
}

// TestCompatClusterTrustBundleNotServed: Kubernetes 1.32 serves no
// ClusterTrustBundles by default; a cluster_trust_bundle source is a clear
// error naming the version and what to use instead, and nothing else fails.
func TestCompatClusterTrustBundleNotServed(t *testing.T) {
	c := oldestCluster(t)
	dir := writeConfig(t, ctbSource("example.com/compat"))
	r := certform(t, dir, c.AdminKubeconfig, "plan")
	if r.code != exitError {
		t.Fatalf("plan with a ClusterTrustBundle source on %s: want exit 1\n%s", c.Version.GitVersion, r)
	}
	mustContain(t, r, "certform: error: ca_bundle.ctb: source cluster_trust_bundle of signer example.com/compat: Kubernetes "+c.Version.GitVersion+
		": ClusterTrustBundles are not served (certificates.k8s.io/v1 from Kubernetes 1.37;",
		"certform: hint: give the ca_bundle a file, pem, configmap or secret source instead")
	if strings.Contains(r.stderr, "reachable") {
		t.Errorf("a cluster that answered is not a reachability problem\n%s", r)
	}

	// Issuing still works: the issuer check says why it was not done.
	r = certform(t, writeConfig(t, clientCert("compat-noctb", true)), c.AdminKubeconfig, "apply", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("apply without ClusterTrustBundles\n%s", r)
	}
	mustContain(t, r, "warning: the issuer of certificates from signer kubernetes.io/kube-apiserver-client is not verified: ClusterTrustBundles are not served")
}

// TestCompatClusterTrustBundleAlpha: on a 1.32 cluster whose administrator
// enabled the alpha API, certform reads ClusterTrustBundles through
// certificates.k8s.io/v1alpha1.
func TestCompatClusterTrustBundleAlpha(t *testing.T) {
	c, err := testcluster.StartPrivateVersion(context.Background(), t.TempDir(), testcluster.OldestMinor,
		"--feature-gates=ClusterTrustBundle=true", "--runtime-config=certificates.k8s.io/v1alpha1/clustertrustbundles=true")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	ctx := context.Background()
	ctb := &certv1alpha1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "example.com:compat:one"},
		Spec: certv1alpha1.ClusterTrustBundleSpec{SignerName: "example.com/compat", TrustBundle: string(pki.EncodeCertificates(c.SignerCA))}}
	if _, err := clientsetFor(t, c.AdminKubeconfig).CertificatesV1alpha1().ClusterTrustBundles().Create(ctx, ctb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := writeConfig(t, ctbSource("example.com/compat"))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply with a v1alpha1 ClusterTrustBundle source\n%s", r)
	}
	cm, err := clientsetFor(t, c.AdminKubeconfig).CoreV1().ConfigMaps("default").Get(ctx, "ctb-trust", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if certs, err := pki.ParseCertificatesPEM([]byte(cm.Data["ca.crt"])); err != nil || len(certs) != 1 || !certs[0].Equal(c.SignerCA) {
		t.Errorf("published bundle: %d CAs (%v), want the ClusterTrustBundle's", len(certs), err)
	}
}

// TestCompatApprover: the policy approver decides a service account's CSRs
// (Events on them) and the signer issues the approved one.
func TestCompatApprover(t *testing.T) {
	c := oldestCluster(t)
	sa := serviceAccountKubeconfig(t, c, "team-a", "builder")
	dir := writeConfig(t, servingCert("good", "web.team-a.svc")+servingCert("bad", "web.team-b.svc"))
	if r := certform(t, dir, sa, "apply", "--auto-approve", "--no-wait"); r.code != exitOK {
		t.Fatalf("apply --no-wait as the service account\n%s", r)
	}
	st := readState(t, dir)
	good, bad := st.Certificates["certificate.good"].CSRName, st.Certificates["certificate.bad"].CSRName
	r := certform(t, ".", c.AdminKubeconfig, "approve", "--policy", writeConfig(t, teamPolicy))
	if r.code != exitOK {
		t.Fatalf("approve\n%s", r)
	}
	mustContain(t, r, good+` approve: approved by certform policy "team-a-serving"`, bad+` deny: denied by certform policy "team-a-serving"`)
	r = certform(t, dir, sa, "apply", "--auto-approve", "--target", "certificate.good", "--wait-timeout=1m")
	mustContain(t, r, "certificate.good: issued")
}
