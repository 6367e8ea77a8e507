package apply

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/testcluster"
)

// requestCounter counts the API requests a client sends, by verb and
// resource path (the object's name left out), e.g. "PUT
// certificatesigningrequests/approval" or "WATCH events".
type requestCounter struct {
	next http.RoundTripper
	mu   sync.Mutex
	n    map[string]int
}

func (c *requestCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[requestKind(r)]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *requestCounter) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// requestKind is "VERB resource[/subresource]": LIST and WATCH for
// collection reads, as the API server's metrics name them.
func requestKind(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	// /api/v1/..., /apis/GROUP/VERSION/...; then namespaces/NS/ for
	// namespaced objects
	if len(parts) > 0 && parts[0] == "apis" {
		parts = parts[3:]
	} else if len(parts) > 1 {
		parts = parts[2:]
	}
	if len(parts) > 2 && parts[0] == "namespaces" {
		parts = parts[2:]
	}
	verb := r.Method
	switch {
	case len(parts) == 0:
		return verb + " ?"
	case len(parts) == 1 && verb == http.MethodGet && r.URL.Query().Get("watch") == "true":
		verb = "WATCH"
	case len(parts) == 1 && verb == http.MethodGet:
		verb = "LIST"
	}
	resource := parts[0]
	if len(parts) > 2 {
		resource += "/" + parts[2]
	}
	return verb + " " + resource
}

// TestApplyRequestsPerCertificate: issuing self-approved certificates that
// their signer signs at once costs the API server one create and one
// approval per certificate, and one list and watch for the whole run: no
// read of each CSR, and no list or watch of each CSR's events (those are
// followed only for a CSR still unsigned after the grace, set here longer
// than the run can take so that a busy machine cannot change the count).
func TestApplyRequestsPerCertificate(t *testing.T) {
	defer func(g time.Duration) { signerGrace = g }(signerGrace)
	signerGrace = 10 * time.Minute
	e := newEnv(t)
	counter := &requestCounter{n: map[string]int{}}
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: testcluster.Shared(t).AdminKubeconfig,
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper { counter.next = rt; return counter }})
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	var src strings.Builder
	for i := range n {
		fmt.Fprintf(&src, `
certificate "c%d" {
  common_name  = "c%d"
  signer_name  = "kubernetes.io/kube-apiserver-client"
  usages       = ["digital signature", "client auth"]
  self_approve = true
  output {
    key_file  = "%s/c%d.key"
    cert_file = "%s/c%d.crt"
  }
}
`, i, i, e.dir, i, e.dir, i)
	}
	cfg, diags := config.LoadSource([]byte(src.String()), "main.hcl", e.dir, config.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p := e.plan(cfg, time.Now())
	st, err := Apply(context.Background(), p, cfg, e.st, Options{CSRs: cs.CertificatesV1().CertificateSigningRequests(),
		Core: cs.CoreV1(), Keys: e.keys, WaitTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Certificates) != n {
		t.Fatalf("%d certificates recorded, want %d", len(st.Certificates), n)
	}
	got := counter.counts()
	want := map[string]int{
		"POST certificatesigningrequests":         n,
		"PUT certificatesigningrequests/approval": n,
		"LIST certificatesigningrequests":         1,
	}
	for kind, count := range want {
		if got[kind] != count {
			t.Errorf("%s: %d requests, want %d", kind, got[kind], count)
		}
	}
	for kind, count := range got {
		if _, ok := want[kind]; !ok && kind != "WATCH certificatesigningrequests" {
			t.Errorf("%s: %d requests, want none", kind, count)
		}
	}
	if got["WATCH certificatesigningrequests"] < 1 {
		t.Errorf("no watch of CSRs: %v", got)
	}
}
