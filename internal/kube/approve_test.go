package kube

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	certv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// TestApproveRetriesConflicts: Approve re-reads the CSR and tries again
// when its copy was stale (a conflict the real server gives only under a
// race, so the fake clientset plays it), and says what failed otherwise.
func TestApproveRetriesConflicts(t *testing.T) {
	conflict := apierrors.NewConflict(csrResource, "csr-1", errors.New("the object has been modified"))
	cases := map[string]struct {
		conflicts int32 // approval updates that conflict before one goes through
		getFails  bool
		wantErr   string
		wantCalls int32
	}{
		"no conflict":               {wantCalls: 1},
		"one conflict":              {conflicts: 1, wantCalls: 2},
		"conflicts until giving up": {conflicts: 100, wantErr: "the object has been modified", wantCalls: 5},
		// A failed re-read dereferenced a nil CSR for its message before.
		"re-read fails": {conflicts: 1, getFails: true, wantErr: "reading CSR csr-1 to approve it", wantCalls: 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cs := fake.NewClientset(&certv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: "csr-1", UID: "uid-1"}})
			var calls atomic.Int32
			cs.PrependReactor("update", "certificatesigningrequests", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if a.GetSubresource() != "approval" {
					return false, nil, nil
				}
				if calls.Add(1) <= tc.conflicts {
					return true, nil, conflict
				}
				return false, nil, nil
			})
			if tc.getFails {
				cs.PrependReactor("get", "certificatesigningrequests", func(k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, apierrors.NewServiceUnavailable("etcd is down")
				})
			}
			csrs := cs.CertificatesV1().CertificateSigningRequests()
			stale := &certv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: "csr-1", UID: "uid-1"}}
			got, err := Approve(context.Background(), csrs, stale)
			if n := calls.Load(); n != tc.wantCalls {
				t.Errorf("%d approval updates, want %d", n, tc.wantCalls)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Approve = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !IsApproved(got) {
				t.Fatalf("Approve = %v, %v; want the approved CSR", got, err)
			}
		})
	}
}
