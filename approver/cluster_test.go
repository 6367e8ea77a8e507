package approver

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/testcluster"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

func adminClient(t *testing.T) kubernetes.Interface {
	t.Helper()
	cs, err := testcluster.Shared(t).AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestCorpusRealCluster submits the crafted corpus to the real apiserver,
// runs the approver once over it, and checks every condition it wrote:
// what the apiserver stores is what a signer would act on.
func TestCorpusRealCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs := adminClient(t)
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	names := map[string]string{} // CSR name → corpus case
	i := 0
	for name, c := range corpus {
		i++
		csrName := fmt.Sprintf("corpus-%02d", i)
		csr := c.build(t, csrName)
		csr.Spec.Username, csr.Spec.Groups = "", nil // set by the apiserver
		if _, err := csrs.Create(ctx, csr, metav1.CreateOptions{}); err != nil {
			t.Errorf("%s: the apiserver refused the CSR: %v", name, err)
			continue
		}
		names[csrName] = name
		t.Cleanup(func() { csrs.Delete(context.Background(), csrName, metav1.DeleteOptions{}) })
	}
	policies := loadCorpusPolicy(t)
	if err := Once(ctx, Options{CSRs: csrs, Policies: policies}); err != nil {
		t.Fatal(err)
	}
	list, err := csrs.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	decided := 0
	for _, csr := range list.Items {
		name, ok := names[csr.Name]
		if !ok {
			continue
		}
		decided++
		t.Run(name, func(t *testing.T) {
			var d Decision
			for _, c := range csr.Status.Conditions {
				switch c.Type {
				case certv1.CertificateApproved:
					d = Decision{Verdict: Approve, Message: c.Message}
				case certv1.CertificateDenied:
					d = Decision{Verdict: Deny, Message: c.Message}
					if _, rest, ok := strings.Cut(c.Message, `certform policy "corpus": `); ok {
						d.Rule, _, _ = strings.Cut(rest, ":")
					}
				}
			}
			checkCorpusDecision(t, corpus[name], d)
		})
	}
	if decided != len(corpus) {
		t.Errorf("%d of %d corpus CSRs were stored and decided", decided, len(corpus))
	}
}

// TestWatchRetriesAfterRBACFix runs the approver as a user who may read
// CSRs but not approve them: the decision fails, and once the missing
// rule is bound the same CSR is approved without any change to it.
func TestWatchRetriesAfterRBACFix(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := testcluster.Shared(t)
	admin := adminClient(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", c.RestrictedKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	restricted, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	csr := corpus["baseline ecdsa"].build(t, "retry-after-rbac")
	csr.Spec.Username, csr.Spec.Groups = "", nil
	created, err := admin.CertificatesV1().CertificateSigningRequests().Create(ctx, csr, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.CertificatesV1().CertificateSigningRequests().Delete(context.Background(), csr.Name, metav1.DeleteOptions{})
	})

	reports := make(chan error, 100)
	o := Options{CSRs: restricted.CertificatesV1().CertificateSigningRequests(), Policies: loadCorpusPolicy(t),
		RetryBase: 50 * time.Millisecond, Metrics: &Metrics{},
		Report: func(d Decision, err error) {
			if d.CSR == csr.Name {
				reports <- err
			}
		}}
	go Watch(ctx, o)
	select {
	case err := <-reports:
		if !apierrors.IsForbidden(err) {
			t.Fatalf("first decision: %v, want Forbidden", err)
		}
	case <-ctx.Done():
		t.Fatal("no decision reported")
	}
	if o.Metrics.errors == 0 {
		t.Error("the failed decision is not counted in metrics")
	}
	grantApproval(t, ctx, admin, "example.com/corpus")

	w, err := admin.CertificatesV1().CertificateSigningRequests().Watch(ctx, metav1.ListOptions{
		FieldSelector: "metadata.name=" + csr.Name, ResourceVersion: created.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if ev.Type != watch.Modified {
			continue
		}
		if got := ev.Object.(*certv1.CertificateSigningRequest); kube.IsApproved(got) {
			return
		}
	}
	t.Fatal("the CSR was never approved after the rule was bound")
}

// grantApproval lets the restricted user approve CSRs for signer.
func grantApproval(t *testing.T, ctx context.Context, cs kubernetes.Interface, signer string) {
	t.Helper()
	name := "certform-test-approver-retry"
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"certificatesigningrequests/approval"}, Verbs: []string{"update"}},
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"signers"}, ResourceNames: []string{signer}, Verbs: []string{"approve"}},
	}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: testcluster.RestrictedUser}}}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
		cs.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
}
