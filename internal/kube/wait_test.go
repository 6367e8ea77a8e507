package kube

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/certform/certform/internal/testcluster"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

var csrResource = schema.GroupResource{Group: certv1.GroupName, Resource: "certificatesigningrequests"}

// TestWaitEndsOnForbidden: a list or watch the user may not make ends the
// wait at once with the rule that grants it, instead of retrying until the
// wait timeout (or forever, without one).
func TestWaitEndsOnForbidden(t *testing.T) {
	forbidden := func(verb string) error {
		return apierrors.NewForbidden(csrResource, "", errors.New(`User "ci" cannot `+verb+` resource "certificatesigningrequests"`))
	}
	cases := map[string]func(cs *fake.Clientset){
		"list forbidden": func(cs *fake.Clientset) {
			cs.PrependReactor("list", "certificatesigningrequests", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, forbidden("list")
			})
		},
		"watch forbidden": func(cs *fake.Clientset) {
			cs.PrependWatchReactor("certificatesigningrequests", func(k8stesting.Action) (bool, watch.Interface, error) {
				return true, nil, forbidden("watch")
			})
		},
		"forbidden error event on the watch": func(cs *fake.Clientset) {
			cs.PrependWatchReactor("certificatesigningrequests", func(k8stesting.Action) (bool, watch.Interface, error) {
				w := watch.NewFakeWithChanSize(1, false)
				w.Error(&forbidden("watch").(*apierrors.StatusError).ErrStatus)
				return true, w, nil
			})
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			cs := fake.NewClientset(&certv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: "csr-1", UID: "uid-1", Labels: map[string]string{"app": "x"}}})
			setup(cs)
			w := NewWatcher(cs.CertificatesV1().CertificateSigningRequests(), "app=x")
			w.Grace = 500 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			go w.Run(ctx)
			_, err := w.Wait(ctx, "csr-1", "uid-1")
			if err == nil || errors.Is(err, context.DeadlineExceeded) || !apierrors.IsForbidden(err) {
				t.Fatalf("Wait = %v, want the Forbidden error before the timeout", err)
			}
			if want := ruleRead.Flow(); !strings.Contains(err.Error(), want) {
				t.Errorf("Wait = %v, want the rule %s", err, want)
			}
		})
	}
}

// TestWaitForbiddenListOnCluster: a user who may create CSRs but not list
// or watch them gets an error naming the rule, not a hang, from a real
// apiserver.
func TestWaitForbiddenListOnCluster(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	kubeconfig, err := c.UserKubeconfig(ctx, "create-only", []rbacv1.PolicyRule{{
		APIGroups: []string{certv1.GroupName}, Resources: []string{"certificatesigningrequests"}, Verbs: []string{"create"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := NewClientset(Options{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	created, err := csrs.Create(ctx, &certv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "create-only-", Labels: map[string]string{"test": "create-only"}},
		Spec:       certv1.CertificateSigningRequestSpec{Request: request(t), SignerName: "example.com/none", Usages: []certv1.KeyUsage{certv1.UsageClientAuth}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("the user may create CSRs: %v", err)
	}
	admin, _ := c.AdminClient()
	t.Cleanup(func() {
		admin.CertificatesV1().CertificateSigningRequests().Delete(context.Background(), created.Name, metav1.DeleteOptions{})
	})
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	w := NewWatcher(csrs, "test=create-only")
	go w.Run(waitCtx)
	_, err = w.Wait(waitCtx, created.Name, created.UID)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want a permission error before the timeout", err)
	}
	for _, want := range []string{"forbidden", "cannot list", `verbs: ["get", "list", "watch"]`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Wait = %v\nwant it to contain %q", err, want)
		}
	}
}

func request(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "create-only"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}
