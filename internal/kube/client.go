package kube

import (
	"fmt"
	"net/http"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Client settings: certform issues hundreds of requests in a burst, and
// client-go's default 5 QPS would be the bottleneck, not the apiserver.
const (
	QPS   = 1000
	Burst = 2000
)

// Options say how to reach the cluster. Empty fields take kubectl's
// defaults: $KUBECONFIG, ~/.kube/config, else the in-cluster service account.
type Options struct {
	Kubeconfig string
	Context    string
	// InCluster uses the service account of the Pod certform runs in and
	// reads no kubeconfig (kubernetes "NAME" { in_cluster = true }).
	InCluster bool
	// WrapTransport, when set, wraps every request's transport (used to
	// count API requests in benchmarks).
	WrapTransport func(http.RoundTripper) http.RoundTripper
}

// RESTConfig resolves opts to a client configuration.
func RESTConfig(opts Options) (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if opts.InCluster {
		if cfg, err = rest.InClusterConfig(); err != nil {
			return nil, fmt.Errorf("in_cluster: %w", err)
		}
	} else {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rules.ExplicitPath = opts.Kubeconfig
		overrides := &clientcmd.ConfigOverrides{CurrentContext: opts.Context}
		cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
		if err != nil {
			return nil, explainKubeconfig(rules, opts, err)
		}
	}
	cfg.QPS, cfg.Burst = QPS, Burst
	cfg.UserAgent = "certform"
	// Protobuf costs the client and the apiserver less CPU than JSON, which
	// matters when both share a small machine; every type certform uses
	// is a built-in type that has it.
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	if opts.WrapTransport != nil {
		cfg.Wrap(opts.WrapTransport)
	}
	return cfg, nil
}

// NewClientset returns a clientset for opts.
func NewClientset(opts Options) (kubernetes.Interface, error) {
	cfg, err := RESTConfig(opts)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating Kubernetes client: %w", err)
	}
	return cs, nil
}
