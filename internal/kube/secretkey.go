package kube

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

// SecretKey reads one data key of a Secret certform did not necessarily
// write (a keystore password's Secret). The value is returned, never put
// in an error.
func SecretKey(ctx context.Context, secrets corev1client.SecretsGetter, namespace, name, key string) ([]byte, error) {
	sec, err := secrets.Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, explain(err, RuleFor(Access{Verb: "get", Resource: "secrets", Namespace: namespace, Name: name}))
	}
	v, ok := sec.Data[key]
	if !ok {
		return nil, fmt.Errorf("Secret %s/%s has no key %q", namespace, name, key)
	}
	return v, nil
}
