package testcluster

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Options configure Start.
type Options struct {
	// BinDir holds etcd, kube-apiserver and kube-controller-manager.
	BinDir string
	// Dir is the cluster's directory: certificates, data, kubeconfigs, logs.
	Dir string
	// Detach starts the processes in their own session so they outlive the
	// caller (make cluster-up); otherwise they die with it.
	Detach bool
}

// Cluster is a running local control plane.
type Cluster struct {
	Dir string
	// AdminKubeconfig is a system:masters kubeconfig.
	AdminKubeconfig string
	// RestrictedKubeconfig may create, get, list and watch CSRs, nothing more.
	RestrictedKubeconfig string
	// SignerCAFile is the PEM certificate of the CSR signer's CA.
	SignerCAFile string
	// SignerCA is that certificate, parsed.
	SignerCA *x509.Certificate
	// Startup is how long the cluster took from the first process to /readyz.
	Startup time.Duration

	opts    Options
	ports   map[string]int
	procs   map[string]*process
	started time.Time
}

// Start brings up a cluster in opts.Dir and waits until the apiserver is
// ready and the RBAC objects for the restricted user exist.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	for _, bin := range []string{"etcd", "kube-apiserver", "kube-controller-manager"} {
		if _, err := os.Stat(filepath.Join(opts.BinDir, bin)); err != nil {
			return nil, fmt.Errorf("missing cluster binary %s: %w (build them with hack/build-cluster.sh)", bin, err)
		}
	}
	c := &Cluster{Dir: opts.Dir, opts: opts, procs: map[string]*process{}}
	for _, d := range []string{"pki", "logs", "etcd"} {
		if err := os.MkdirAll(filepath.Join(c.Dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	var err error
	if c.ports, err = freePorts("etcd-client", "etcd-peer", "apiserver", "controller-manager"); err != nil {
		return nil, err
	}
	if err := c.writePKI(); err != nil {
		return nil, fmt.Errorf("writing cluster certificates: %w", err)
	}
	c.started = time.Now()
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager"} {
		if err := c.startProcess(name); err != nil {
			c.Stop()
			return nil, err
		}
	}
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	c.Startup = time.Since(c.started)
	if err := c.setupRBAC(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, c.writePIDs()
}

func (c *Cluster) path(parts ...string) string {
	return filepath.Join(append([]string{c.Dir}, parts...)...)
}

// APIServerURL is the apiserver's address.
func (c *Cluster) APIServerURL() string {
	return "https://127.0.0.1:" + strconv.Itoa(c.ports["apiserver"])
}

// AdminClient returns a clientset with cluster-admin rights.
func (c *Cluster) AdminClient() (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.AdminKubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 1000, 2000
	return kubernetes.NewForConfig(cfg)
}

func (c *Cluster) writePKI() error {
	clusterCA, err := newAuthority("certform-test-cluster-ca")
	if err != nil {
		return err
	}
	signerCA, err := newAuthority("certform-test-signer-ca")
	if err != nil {
		return err
	}
	c.SignerCA = signerCA.cert
	serving, servingKey, err := clusterCA.issue(pkix.Name{CommonName: "kube-apiserver"},
		[]string{"localhost", "kubernetes", "kubernetes.default"}, []net.IP{net.IPv4(127, 0, 0, 1)}, x509.ExtKeyUsageServerAuth)
	if err != nil {
		return err
	}
	admin, adminKey, err := clusterCA.issue(pkix.Name{CommonName: "certform-admin", Organization: []string{"system:masters"}}, nil, nil, x509.ExtKeyUsageClientAuth)
	if err != nil {
		return err
	}
	restricted, restrictedKey, err := clusterCA.issue(pkix.Name{CommonName: RestrictedUser}, nil, nil, x509.ExtKeyUsageClientAuth)
	if err != nil {
		return err
	}
	sa := newKey()
	err = writeFiles(c.path("pki"), map[string][]byte{
		"cluster-ca.crt": certPEM(clusterCA.cert),
		"signer-ca.crt":  certPEM(signerCA.cert), "signer-ca.key": keyPEM(signerCA.key),
		"apiserver.crt": certPEM(serving), "apiserver.key": keyPEM(servingKey),
		"sa.key": keyPEM(sa), "sa.pub": publicKeyPEM(sa.Public()),
	})
	if err != nil {
		return err
	}
	c.SignerCAFile = c.path("signer-ca.crt")
	if err := os.WriteFile(c.SignerCAFile, certPEM(signerCA.cert), 0o644); err != nil {
		return err
	}
	c.AdminKubeconfig = c.path("admin.kubeconfig")
	c.RestrictedKubeconfig = c.path("restricted.kubeconfig")
	if err := c.writeKubeconfig(c.AdminKubeconfig, "admin", clusterCA.cert, admin, adminKey); err != nil {
		return err
	}
	return c.writeKubeconfig(c.RestrictedKubeconfig, RestrictedUser, clusterCA.cert, restricted, restrictedKey)
}

// freePorts reserves a free loopback port for each name. The ports are
// released before use, so a collision is possible but unlikely.
func freePorts(names ...string) (map[string]int, error) {
	ports := map[string]int{}
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for _, n := range names {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports[n] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	cs, err := c.AdminClient()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var last error
	for {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		last = err
		for name, p := range c.procs {
			if p.exited() {
				return fmt.Errorf("%s exited during startup; see %s", name, p.logPath)
			}
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("kube-apiserver not ready after %s; see %s", time.Since(c.started).Round(time.Millisecond), c.path("logs")), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
