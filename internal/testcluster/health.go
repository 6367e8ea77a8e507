package testcluster

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// components are the cluster's processes in start order.
var components = []string{"etcd", "kube-apiserver", "kube-controller-manager"}

// probeInterval is how often an HTTP health endpoint is asked again; the
// endpoints offer nothing to watch.
const probeInterval = 50 * time.Millisecond

// watchdog returns a context that ends when parent does or when a
// component exits for good (not restarted); context.Cause says which.
func (c *Cluster) watchdog(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	go func() {
		for {
			exited := c.exitSignal()
			if err := c.Check(); err != nil {
				cancel(err)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-exited:
			}
		}
	}()
	return ctx, func() { cancel(nil) }
}

// exitSignal returns a channel closed at the next exit of any process.
func (c *Cluster) exitSignal() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exitCh
}

func (c *Cluster) notifyExit() {
	c.mu.Lock()
	close(c.exitCh)
	c.exitCh = make(chan struct{})
	c.mu.Unlock()
}

// waitHealthy asks probe until it succeeds or ctx (a watchdog context)
// ends, and says why it ended: a component's exit, or the last probe
// error with the tail of name's log.
func (c *Cluster) waitHealthy(ctx context.Context, name, what string, probe func(context.Context) error) error {
	start := time.Now()
	tick := time.NewTicker(probeInterval)
	defer tick.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := probe(pctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return c.waitFailed(ctx, name, what, start, err)
		case <-tick.C:
		}
	}
}

// waitFailed explains why waiting for name ended before it was healthy.
func (c *Cluster) waitFailed(ctx context.Context, name, what string, start time.Time, last error) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, ctx.Err()) {
		return fmt.Errorf("waiting for %s: %w", what, cause)
	}
	logPath := c.path("logs", name+".log")
	return fmt.Errorf("%s after %s: %w (last: %v); last lines of %s:\n%s",
		what, time.Since(start).Round(time.Millisecond), ctx.Err(), last, logPath, logTail(logPath, 20))
}

// waitEtcd waits until etcd reports itself healthy.
func (c *Cluster) waitEtcd(ctx context.Context) error {
	url := "http://127.0.0.1:" + strconv.Itoa(c.ports["etcd-client"]) + "/health"
	return c.waitHealthy(ctx, "etcd", "etcd healthy", func(ctx context.Context) error {
		body, err := get(ctx, http.DefaultClient, url)
		if err != nil {
			return err
		}
		var h struct{ Health string }
		if err := json.Unmarshal(body, &h); err != nil || h.Health != "true" {
			return fmt.Errorf("etcd /health = %q", body)
		}
		return nil
	})
}

// waitAPIServer waits until kube-apiserver's /readyz says ok.
func (c *Cluster) waitAPIServer(ctx context.Context) error {
	cs, err := c.AdminClient()
	if err != nil {
		return err
	}
	return c.waitHealthy(ctx, "kube-apiserver", "kube-apiserver ready", func(ctx context.Context) error {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) != "ok" {
			err = fmt.Errorf("/readyz = %q", body)
		}
		return err
	})
}

// waitControllerManager waits until kube-controller-manager's /healthz
// says ok, then until its signer issues a certificate: /healthz is served
// before the controllers have started.
func (c *Cluster) waitControllerManager(ctx context.Context) error {
	roots := x509.NewCertPool()
	roots.AddCert(c.clusterCA)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	defer client.CloseIdleConnections()
	url := "https://127.0.0.1:" + strconv.Itoa(c.ports["controller-manager"]) + "/healthz"
	err := c.waitHealthy(ctx, "kube-controller-manager", "kube-controller-manager healthy", func(ctx context.Context) error {
		body, err := get(ctx, client, url)
		if err == nil && string(body) != "ok" {
			err = fmt.Errorf("/healthz = %q", body)
		}
		return err
	})
	if err != nil {
		return err
	}
	return c.waitSigner(ctx)
}

// get returns the body of a 200 response to GET url.
func get(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return body, err
}

// waitSigner creates, approves and watches a CSR until the signer issued a
// certificate that chains to the signer CA, then deletes it.
func (c *Cluster) waitSigner(ctx context.Context) error {
	start := time.Now()
	cs, err := c.AdminClient()
	if err != nil {
		return err
	}
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	csr, err := csrs.Create(ctx, probeCSR(), metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating the signer's probe CSR: %w", err)
	}
	defer csrs.Delete(context.Background(), csr.Name, metav1.DeleteOptions{})
	csr.Status.Conditions = append(csr.Status.Conditions, certv1.CertificateSigningRequestCondition{
		Type: certv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "TestclusterProbe", Message: "the test cluster checks its signer",
	})
	if _, err := csrs.UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("approving the signer's probe CSR: %w", err)
	}
	lw := cache.NewListWatchFromClient(cs.CertificatesV1().RESTClient(), "certificatesigningrequests", "", fields.OneTermEqualSelector("metadata.name", csr.Name))
	var issued []byte
	_, err = watchtools.UntilWithSync(ctx, lw, &certv1.CertificateSigningRequest{}, nil, func(ev watch.Event) (bool, error) {
		got, ok := ev.Object.(*certv1.CertificateSigningRequest)
		if !ok || got.UID != csr.UID {
			return false, nil
		}
		if ev.Type == watch.Deleted {
			return false, fmt.Errorf("probe CSR %s was deleted before it was issued", csr.Name)
		}
		issued = got.Status.Certificate
		return len(issued) > 0, nil
	})
	if err != nil {
		return c.waitFailed(ctx, "kube-controller-manager", "the signer issuing a certificate", start, err)
	}
	block, _ := pem.Decode(issued)
	if block == nil {
		return fmt.Errorf("the signer issued no PEM certificate: %q", issued)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fmt.Errorf("parsing the signer's certificate: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.SignerCA)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("the signer's certificate does not chain to the signer CA: %w", err)
	}
	return nil
}

// probeCSR is a kube-apiserver-client CSR for a throwaway key.
func probeCSR() *certv1.CertificateSigningRequest {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "testcluster-probe"},
	}, newKey())
	if err != nil {
		panic(err)
	}
	return &certv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "testcluster-probe-"},
		Spec: certv1.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: certv1.KubeAPIServerClientSignerName,
			Usages:     []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageClientAuth},
		},
	}
}
