package testcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// MaxFleet bounds StartFleet: each cluster is an etcd, a kube-apiserver
// and a kube-controller-manager, and the test machine has 2 cores.
const MaxFleet = 3

// StartFleet starts n private clusters at once (1 to MaxFleet), each with
// its own directory, ports, etcd, signer CA and kube-system namespace,
// for tests of one configuration across clusters. The test stops and
// removes them at its end. It fails the test, never skips it, when they
// cannot be started.
func StartFleet(t testing.TB, n int) []*Cluster {
	t.Helper()
	if n < 1 || n > MaxFleet {
		t.Fatalf("StartFleet(%d): start 1 to %d clusters", n, MaxFleet)
	}
	clusters := make([]*Cluster, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clusters[i], errs[i] = StartPrivate(context.Background(), "")
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range clusters {
			if c != nil {
				c.Stop()
				os.RemoveAll(c.Dir)
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("starting %d clusters: %v", n, err)
	}
	return clusters
}

// UID returns the UID of the cluster's kube-system namespace: the
// identity certform records for it.
func (c *Cluster) UID(ctx context.Context) (string, error) {
	cs, err := c.AdminClient()
	if err != nil {
		return "", err
	}
	ns, err := cs.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading kube-system of %s: %w", c.APIServerURL(), err)
	}
	return string(ns.UID), nil
}

// WriteFleetKubeconfig writes one kubeconfig with a context per entry of
// kubeconfigs, each the current context of that kubeconfig file (a
// cluster's AdminKubeconfig or RestrictedKubeconfig); the first name in
// order is the current context. Pointing a context name at another
// cluster is how a test re-points a context.
func WriteFleetKubeconfig(path string, order []string, kubeconfigs map[string]string) error {
	out := clientcmdapi.NewConfig()
	for _, name := range order {
		from, ok := kubeconfigs[name]
		if !ok {
			return fmt.Errorf("context %q names no kubeconfig", name)
		}
		in, err := clientcmd.LoadFromFile(from)
		if err != nil {
			return err
		}
		ctx := in.Contexts[in.CurrentContext]
		if ctx == nil {
			return fmt.Errorf("%s has no current context", from)
		}
		out.Clusters[name] = in.Clusters[ctx.Cluster]
		out.AuthInfos[name] = in.AuthInfos[ctx.AuthInfo]
		out.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	}
	if len(order) > 0 {
		out.CurrentContext = order[0]
	}
	return clientcmd.WriteToFile(*out, path)
}
