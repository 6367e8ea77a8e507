// Command cert-manager-signer runs cert-manager's CA signer for Kubernetes
// CertificateSigningRequests out of cluster, for certform's tests against a
// third-party signer: the issuers and clusterissuers controllers (which mark
// CA Issuers and ClusterIssuers Ready) and the
// certificatesigningrequests-issuer-ca controller, which signs approved CSRs
// whose signerName is clusterissuers.cert-manager.io/NAME or
// issuers.cert-manager.io/NAMESPACE.NAME.
//
// cert-manager's own controller command (its cmd/controller module) is not
// on the module proxy; this is the small part of it these tests need, built
// from the public packages of github.com/cert-manager/cert-manager. Choosing
// the CSR controller here is what cert-manager's feature gate
// ExperimentalCertificateSigningRequestControllers does in its command.
//
// With --crds DIR it first applies the CustomResourceDefinitions in DIR
// (hack/build-cert-manager.sh copies Issuer and ClusterIssuer from the
// module) and waits until they are established.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"k8s.io/klog/v2"

	"github.com/cert-manager/cert-manager/pkg/controller"
	csrca "github.com/cert-manager/cert-manager/pkg/controller/certificatesigningrequests/ca"
	"github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	"github.com/cert-manager/cert-manager/pkg/controller/issuers"
	logf "github.com/cert-manager/cert-manager/pkg/logs"

	// The CA issuer type: the issuers controllers check its Secret and set
	// the Ready condition the CSR signer requires.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
)

// controllers are the cert-manager controllers this command runs.
var controllers = []string{issuers.ControllerName, clusterissuers.ControllerName, csrca.CSRControllerName}

func main() {
	fs := flag.NewFlagSet("cert-manager-signer", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the cluster to sign for (required)")
	namespace := fs.String("cluster-resource-namespace", "cert-manager", "namespace of the Secrets ClusterIssuers name")
	crds := fs.String("crds", "", "directory of CustomResourceDefinitions to apply first (optional)")
	workers := fs.Int("workers", 5, "workers per controller")
	qps := fs.Float64("kube-api-qps", 20, "client QPS towards the API server; used only when the server does not run API Priority and Fairness")
	burst := fs.Int("kube-api-burst", 50, "client burst towards the API server (see --kube-api-qps)")
	klog.InitFlags(fs)
	_ = fs.Parse(os.Args[1:])
	if *kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "cert-manager-signer: --kubeconfig is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *kubeconfig, *namespace, *crds, *workers, float32(*qps), *burst); err != nil {
		fmt.Fprintln(os.Stderr, "cert-manager-signer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kubeconfig, namespace, crds string, workers int, qps float32, burst int) error {
	if crds != "" {
		if err := applyCRDs(ctx, kubeconfig, crds); err != nil {
			return err
		}
	}
	ctx = logf.NewContext(ctx, logf.Log, "cert-manager-signer")
	factory, err := controller.NewContextFactory(ctx, controller.ContextOptions{
		Kubeconfig:         kubeconfig,
		KubernetesAPIQPS:   qps,
		KubernetesAPIBurst: burst,
		IssuerOptions:      controller.IssuerOptions{ClusterResourceNamespace: namespace},
	})
	if err != nil {
		return fmt.Errorf("building the controller context: %w", err)
	}
	var running []controller.Interface
	for _, name := range controllers {
		construct, ok := controller.Known()[name]
		if !ok {
			return fmt.Errorf("cert-manager registers no controller %q", name)
		}
		c, err := construct(factory)
		if err != nil {
			return fmt.Errorf("constructing controller %s: %w", name, err)
		}
		running = append(running, c)
	}
	// Every Context built by the factory shares its informer factories:
	// started once, after every controller asked for its informers.
	shared, err := factory.Build()
	if err != nil {
		return err
	}
	shared.KubeSharedInformerFactory.Start(ctx.Done())
	shared.SharedInformerFactory.Start(ctx.Done())

	errs := make(chan error, len(running))
	var wg sync.WaitGroup
	for i, c := range running {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Run(workers, ctx); err != nil {
				errs <- fmt.Errorf("controller %s: %w", controllers[i], err)
			}
		}()
	}
	fmt.Fprintf(os.Stderr, "cert-manager-signer: running %v\n", controllers)
	wg.Wait()
	close(errs)
	return <-errs
}
