package kube

import (
	"context"
	"fmt"
	"sync"

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

// SecretKeys reads Secret keys for one run, each Secret once: a thousand
// certificates may share one keystore password Secret, and a plan should
// not GET it a thousand times. Safe for concurrent use; failures are
// remembered too, so every certificate reports the same one.
type SecretKeys struct {
	secrets corev1client.SecretsGetter
	mu      sync.Mutex
	got     map[secretKeyRef]secretKeyResult
}

type secretKeyRef struct{ namespace, name, key string }

type secretKeyResult struct {
	value []byte
	err   error
}

// NewSecretKeys returns an empty SecretKeys reading through secrets.
func NewSecretKeys(secrets corev1client.SecretsGetter) *SecretKeys {
	return &SecretKeys{secrets: secrets, got: map[secretKeyRef]secretKeyResult{}}
}

// Get is SecretKey, answered from what this run already read.
func (s *SecretKeys) Get(ctx context.Context, namespace, name, key string) ([]byte, error) {
	ref := secretKeyRef{namespace, name, key}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.got[ref]; ok {
		return r.value, r.err
	}
	v, err := SecretKey(ctx, s.secrets, namespace, name, key)
	s.got[ref] = secretKeyResult{v, err}
	return v, err
}
