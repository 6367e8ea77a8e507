package testcluster

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/version"
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
	// APIServerArgs are added to kube-apiserver's flags, after the
	// cluster's own: feature gates and runtime-config of a test that needs
	// an API the version does not serve by default.
	APIServerArgs []string
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
	// Startup is how long the cluster took from the first process until
	// every component was healthy and the signer had issued a certificate.
	Startup time.Duration
	// Version is the version kube-apiserver reports (zero for Attach).
	Version version.Info

	opts      Options
	ports     map[string]int
	clusterCA *x509.Certificate
	started   time.Time

	mu       sync.Mutex
	procs    map[string]*process // the current process of each component
	stopped  bool                // Stop was called: restart nothing
	exits    []error             // exits the cluster did not ask for
	restarts int                 // of kube-controller-manager
	exitCh   chan struct{}       // closed and replaced at every exit
}

// startTimeout bounds Start (per attempt) and RestartAPIServer: a loaded
// 2-core machine running -race tests can take a minute to start a cluster.
const startTimeout = 3 * time.Minute

// startAttempts bounds the attempts of Start, which tries again with other
// ports when a component could not bind its port.
const startAttempts = 3

// Start brings up a cluster in opts.Dir one component at a time, each only
// once the previous one is healthy: etcd, kube-apiserver (/readyz), the
// RBAC objects for the restricted user, then kube-controller-manager
// (/healthz, and a CSR its signer issues). It returns a cluster whose
// processes are watched: see Check and Exits.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	for _, bin := range components {
		if _, err := os.Stat(filepath.Join(opts.BinDir, bin)); err != nil {
			return nil, fmt.Errorf("missing cluster binary %s: %w (build them with hack/build-cluster.sh)", bin, err)
		}
	}
	c := &Cluster{Dir: opts.Dir, opts: opts}
	if err := os.MkdirAll(c.path("logs"), 0o700); err != nil {
		return nil, err
	}
	c.started = time.Now()
	for attempt := 1; ; attempt++ {
		err := c.start(ctx)
		if err == nil {
			break
		}
		c.Stop()
		if attempt == startAttempts || !strings.Contains(err.Error(), "address already in use") {
			return nil, fmt.Errorf("starting the test cluster in %s: %w", c.Dir, err)
		}
	}
	c.Startup = time.Since(c.started)
	return c, c.writePIDs()
}

// start is one attempt of Start, on fresh ports and a fresh etcd.
func (c *Cluster) start(ctx context.Context) error {
	c.mu.Lock()
	c.procs, c.stopped, c.exits, c.restarts, c.exitCh = map[string]*process{}, false, nil, 0, make(chan struct{})
	c.mu.Unlock()
	for _, d := range []string{"pki", "etcd"} {
		if err := os.RemoveAll(c.path(d)); err != nil {
			return err
		}
		if err := os.MkdirAll(c.path(d), 0o700); err != nil {
			return err
		}
	}
	var err error
	if c.ports, err = freePorts("etcd-client", "etcd-peer", "apiserver", "controller-manager"); err != nil {
		return err
	}
	if err := c.writePKI(); err != nil {
		return fmt.Errorf("writing cluster certificates: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	ctx, stop := c.watchdog(ctx)
	defer stop()
	if err := c.startProcess("etcd"); err != nil {
		return err
	}
	if err := c.waitEtcd(ctx); err != nil {
		return err
	}
	if err := c.startProcess("kube-apiserver"); err != nil {
		return err
	}
	if err := c.waitAPIServer(ctx); err != nil {
		return err
	}
	if err := c.readVersion(); err != nil {
		return err
	}
	if err := c.setupRBAC(ctx); err != nil {
		return err
	}
	if err := c.startProcess("kube-controller-manager"); err != nil {
		return err
	}
	return c.waitControllerManager(ctx)
}

// RestartAPIServer stops kube-apiserver and starts it again on the same
// port, then waits until it is ready and kube-controller-manager signs
// again: the restart a client must survive.
func (c *Cluster) RestartAPIServer() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	ctx, stop := c.watchdog(ctx)
	defer stop()
	stopProcess(c.proc("kube-apiserver"))
	if err := c.startProcess("kube-apiserver"); err != nil {
		return err
	}
	if err := c.waitAPIServer(ctx); err != nil {
		return err
	}
	return c.waitControllerManager(ctx)
}

// StopAPIServer stops kube-apiserver, for tests of an outage longer than a
// restart; StartAPIServer brings it back.
func (c *Cluster) StopAPIServer() { stopProcess(c.proc("kube-apiserver")) }

// PauseAPIServer freezes kube-apiserver (SIGSTOP): it still accepts
// connections and answers none, as a hung server does. ResumeAPIServer
// thaws it; pause only a private cluster.
func (c *Cluster) PauseAPIServer() error {
	return c.proc("kube-apiserver").cmd.Process.Signal(syscall.SIGSTOP)
}

// ResumeAPIServer thaws a kube-apiserver PauseAPIServer froze.
func (c *Cluster) ResumeAPIServer() error {
	return c.proc("kube-apiserver").cmd.Process.Signal(syscall.SIGCONT)
}

// StartAPIServer starts a stopped kube-apiserver again on the same port,
// then waits until it is ready and kube-controller-manager (restarted by
// the cluster if it gave up meanwhile) signs again.
func (c *Cluster) StartAPIServer() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	ctx, stop := c.watchdog(ctx)
	defer stop()
	if err := c.startProcess("kube-apiserver"); err != nil {
		return err
	}
	if err := c.waitAPIServer(ctx); err != nil {
		return err
	}
	return c.waitControllerManager(ctx)
}

// readVersion records the version kube-apiserver reports.
func (c *Cluster) readVersion() error {
	cs, err := c.AdminClient()
	if err != nil {
		return err
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		return fmt.Errorf("asking kube-apiserver its version: %w", err)
	}
	c.Version = *v
	return nil
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
	c.clusterCA = clusterCA.cert
	controllerManager, controllerManagerKey, err := clusterCA.issue(pkix.Name{CommonName: "kube-controller-manager"},
		[]string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}, x509.ExtKeyUsageServerAuth)
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
		"controller-manager.crt": certPEM(controllerManager), "controller-manager.key": keyPEM(controllerManagerKey),
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

// freePorts picks a free loopback port for each name, below the kernel's
// range of ephemeral ports so that no outgoing connection takes one before
// its component binds it. The ports are released before use, so another
// process may still take one: Start then tries again with other ports.
func freePorts(names ...string) (map[string]int, error) {
	lo, hi := 10000, ephemeralStart()
	ports := map[string]int{}
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for _, n := range names {
		var l net.Listener
		var err error
		for try := 0; try < 100 && l == nil && hi-lo >= 1000; try++ {
			l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(lo+mathrand.IntN(hi-lo)))
		}
		if l == nil { // no room below the ephemeral range: any free port
			if l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
				return nil, fmt.Errorf("finding a free port: %w", err)
			}
		}
		ls = append(ls, l)
		ports[n] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// ephemeralStart is the first port the kernel hands out to outgoing
// connections and to listeners on port 0.
func ephemeralStart() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	if f := strings.Fields(string(data)); len(f) == 2 {
		if n, err := strconv.Atoi(f[0]); err == nil {
			return n
		}
	}
	return 32768
}
