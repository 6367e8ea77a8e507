package kube

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestSecretKeysReadsEachSecretOnce: certificates sharing a password
// Secret cost one GET per run, and a missing key or Secret is reported
// every time it is asked for.
func TestSecretKeysReadsEachSecretOnce(t *testing.T) {
	cs := fake.NewClientset(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "pw"},
		Data: map[string][]byte{"password": []byte("changeit")}})
	keys := NewSecretKeys(cs.CoreV1())
	ctx := context.Background()
	for range 3 {
		v, err := keys.Get(ctx, "apps", "pw", "password")
		if err != nil || string(v) != "changeit" {
			t.Fatalf("Get = %q, %v", v, err)
		}
	}
	for range 2 {
		if _, err := keys.Get(ctx, "apps", "absent", "password"); err == nil {
			t.Fatal("a missing Secret was read")
		}
	}
	gets := 0
	for _, a := range cs.Actions() {
		if a.GetVerb() == "get" {
			gets++
		}
	}
	if gets != 2 {
		t.Errorf("%d GETs for 5 reads of 2 Secrets, want 2", gets)
	}
}
