package bench

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/certform/certform/approver"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/testcluster"
)

const approveCount = 1000

// approvePolicy is a fleet policy with requester templates and the
// context rules that read Services and Pods: the expensive kind.
const approvePolicy = `
policy "fleet" {
  signer_names = ["example.com/bench-approve"]
  requesters { service_accounts = ["*:*"] }
  allowed {
    dns_names      = ["*.${requester.namespace}.svc"]
    ip_ranges      = ["0.0.0.0/0"]
    common_names   = ["${requester.service_account}"]
    usages         = ["digital signature", "server auth"]
    key_algorithms = ["ecdsa"]
  }
  context {
    services     = true
    workload_ips = true
  }
}
`

// BenchmarkApprove1000 decides 1,000 pending CSRs two ways on the same
// cluster, taking turns within each iteration:
//
//   - loop: a plain client-go loop approving every pending CSR of the
//     signer without looking at it (what `kubectl certificate approve`
//     does, one by one), the floor;
//   - certform: approver.Once with a fleet policy (templates, Service and
//     workload IP checks through informer caches), every CSR parsed,
//     signature-checked and judged.
//
// Creating the CSRs is not timed. It reports each one's wall time and
// certform/loop; the target is at most 1.2.
func BenchmarkApprove1000(b *testing.B) {
	c := testcluster.Shared(b)
	ctx := context.Background()
	admin, err := c.AdminClient()
	must(b, err)
	svcIP := benchWorkload(b, ctx, admin)
	asSA := impersonating(b, c, "system:serviceaccount:bench:api", "system:serviceaccounts", "system:serviceaccounts:bench")
	request := benchRequest(b, svcIP)
	path := filepath.Join(b.TempDir(), "policy.hcl")
	must(b, os.WriteFile(path, []byte(approvePolicy), 0o644))
	policies, _, diags := approver.Load(path)
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	view := approver.NewCluster(admin, policies)
	must(b, view.Start(ctx))
	csrs := admin.CertificatesV1().CertificateSigningRequests()

	var loopTotal, certformTotal time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		loopSet := createPending(b, ctx, asSA, request, fmt.Sprintf("bench-loop-%d", i))
		certformSet := createPending(b, ctx, asSA, request, fmt.Sprintf("bench-certform-%d", i))
		b.StartTimer()

		start := time.Now()
		for _, name := range loopSet {
			csr, err := csrs.Get(ctx, name, metav1.GetOptions{})
			must(b, err)
			csr.Status.Conditions = append(csr.Status.Conditions, certv1.CertificateSigningRequestCondition{
				Type: certv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "Loop", Message: "approved"})
			_, err = csrs.UpdateApproval(ctx, name, csr, metav1.UpdateOptions{})
			must(b, err)
		}
		loopTotal += time.Since(start)

		start = time.Now()
		approved := 0
		must(b, approver.Once(ctx, approver.Options{CSRs: csrs, Policies: policies, Cluster: view,
			Report: func(d approver.Decision, err error) {
				must(b, err)
				if d.Verdict == approver.Approve {
					approved++
				}
			}}))
		certformTotal += time.Since(start)
		if approved != len(certformSet) {
			b.Fatalf("certform approved %d of %d", approved, len(certformSet))
		}

		b.StopTimer()
		for _, name := range append(loopSet, certformSet...) {
			csrs.Delete(ctx, name, metav1.DeleteOptions{})
		}
		b.StartTimer()
	}
	b.ReportMetric(loopTotal.Seconds()/float64(b.N), "loop-s")
	b.ReportMetric(certformTotal.Seconds()/float64(b.N), "certform-s")
	b.ReportMetric(certformTotal.Seconds()/loopTotal.Seconds(), "certform/loop")
}

// benchWorkload makes namespace bench with Service api; it returns the
// Service's ClusterIP.
func benchWorkload(b *testing.B, ctx context.Context, cs kubernetes.Interface) string {
	b.Helper()
	ignoreExists := func(_ any, err error) {
		if err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatal(err)
		}
	}
	ignoreExists(cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}, metav1.CreateOptions{}))
	ignoreExists(cs.CoreV1().Services("bench").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 443}}}}, metav1.CreateOptions{}))
	svc, err := cs.CoreV1().Services("bench").Get(ctx, "api", metav1.GetOptions{})
	must(b, err)
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "bench-create-csrs"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"certificatesigningrequests"}, Verbs: []string{"create"}}}}
	ignoreExists(cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}))
	ignoreExists(cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "system:serviceaccounts:bench"}}}, metav1.CreateOptions{}))
	// RBAC takes effect through the authorizer's informers: wait for it.
	asker := &certv1.CertificateSigningRequest{Spec: certv1.CertificateSigningRequestSpec{Username: "system:serviceaccount:bench:api",
		Groups: []string{"system:authenticated", "system:serviceaccounts", "system:serviceaccounts:bench"}}}
	must(b, wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		ok, _, err := approver.NewCluster(cs, nil).Allowed(ctx, asker, approver.RBACRule{Verb: "create", Group: "certificates.k8s.io", Resource: "certificatesigningrequests"})
		return ok, err
	}))
	return svc.Spec.ClusterIP
}

// impersonating is an admin client acting as user in groups.
func impersonating(b *testing.B, c *testcluster.Cluster, user string, groups ...string) kubernetes.Interface {
	b.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", c.AdminKubeconfig)
	must(b, err)
	cfg.QPS, cfg.Burst = 1000, 2000
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	cs, err := kubernetes.NewForConfig(cfg)
	must(b, err)
	return cs
}

// benchRequest is one PEM request for api.bench.svc and ip.
func benchRequest(b *testing.B, ip string) []byte {
	b.Helper()
	key, err := pki.GenerateKey(pki.KeySpec{Algorithm: pki.ECDSA, Size: 256})
	must(b, err)
	der, err := x509.CreateCertificateRequest(nil, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "api"},
		DNSNames: []string{"api.bench.svc"}, IPAddresses: []net.IP{net.ParseIP(ip)}}, key)
	must(b, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// createPending creates approveCount CSRs named PREFIX-N as cs's user.
func createPending(b *testing.B, ctx context.Context, cs kubernetes.Interface, request []byte, prefix string) []string {
	b.Helper()
	names := make([]string, approveCount)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%04d", prefix, i)
		csr := &certv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: names[i]},
			Spec: certv1.CertificateSigningRequestSpec{Request: request, SignerName: "example.com/bench-approve",
				Usages: []certv1.KeyUsage{"digital signature", "server auth"}}}
		_, err := cs.CertificatesV1().CertificateSigningRequests().Create(ctx, csr, metav1.CreateOptions{})
		must(b, err)
	}
	return names
}
