package apply

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// interruptingCSRs creates CSRs on the real API server and then reports
// the create as cancelled, as a client does when SIGINT cancels its
// context while the request is already with the server.
type interruptingCSRs struct {
	kube.CSRs
	cancel context.CancelFunc
}

func (c interruptingCSRs) Create(ctx context.Context, csr *certv1.CertificateSigningRequest, opts metav1.CreateOptions) (*certv1.CertificateSigningRequest, error) {
	if _, err := c.CSRs.Create(context.Background(), csr, opts); err != nil {
		return nil, err
	}
	c.cancel()
	return nil, fmt.Errorf("creating CSR %s: %w", csr.Name, context.Canceled)
}

// TestInterruptedCreateKeepsItsKey: a create that reaches the API server
// while the run is interrupted leaves the address recorded as submitting
// and its key kept; the next run adopts exactly that CSR and collects it,
// leaving no other CSR and no kept key.
func TestInterruptedCreateKeepsItsKey(t *testing.T) {
	e := newEnv(t)
	cfg := e.config("")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := Apply(ctx, e.plan(cfg, time.Now()), cfg, e.st,
		Options{CSRs: interruptingCSRs{CSRs: e.csrs, cancel: cancel}, Keys: e.keys, WaitTimeout: time.Minute})
	if err == nil {
		t.Fatal("interrupted apply returned no error")
	}
	e.st = st
	list, lerr := e.csrs.List(context.Background(), metav1.ListOptions{LabelSelector: kube.Selector(st.Lineage)})
	if lerr != nil || len(list.Items) != 1 {
		t.Fatalf("CSRs after the interrupted create: %d, %v; want the one created", len(list.Items), lerr)
	}
	made := list.Items[0]
	req, _ := pki.ParseCSRPEM(made.Spec.Request)
	fp, _ := pki.Fingerprint(req.PublicKey)
	if _, err := e.keys.Get(fp); err != nil {
		t.Fatalf("the key of CSR %s, which the API server holds, was not kept: %v", made.Name, err)
	}
	rec := st.Certificates["certificate.web"]
	if rec == nil || rec.Status != state.StatusSubmitting || rec.CSRName != made.Name || rec.KeySHA256 != fp {
		t.Fatalf("record after the interrupted create = %+v, want submitting %s", rec, made.Name)
	}

	p := e.plan(cfg, time.Now())
	onlyAction(t, p, plan.Wait)
	e.apply(cfg, p)
	rec = e.st.Certificates["certificate.web"]
	if rec.Status != state.StatusIssued || rec.CSRName != made.Name || rec.CSRUID != string(made.UID) || rec.KeySHA256 != fp {
		t.Errorf("after the next run: %+v, want CSR %s issued with the kept key", rec, made.Name)
	}
	if list, _ := e.csrs.List(context.Background(), metav1.ListOptions{LabelSelector: kube.Selector(st.Lineage)}); len(list.Items) != 1 {
		t.Errorf("%d CSRs of this state, want 1 (no duplicate submitted)", len(list.Items))
	}
	if held, _ := e.keys.Fingerprints(); len(held) != 0 {
		t.Errorf("kept keys after collecting: %v", held)
	}
}

// TestReplaceDoesNotResurrectAnOldKey: the key file holds an older key of
// the address (restored from a backup) whose CSR still exists; --replace
// must issue with a new key, not adopt that CSR and write the old
// certificate back.
func TestReplaceDoesNotResurrectAnOldKey(t *testing.T) {
	e := newEnv(t)
	cfg := e.config("")
	e.apply(cfg, e.plan(cfg, time.Now()))
	first := e.st.Certificates["certificate.web"].DeepCopy()
	keyFile := filepath.Join(e.dir, "web.key")
	oldKey := mustReadFile(t, keyFile)

	replace := func() {
		world, err := e.observe(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e.apply(cfg, plan.Make(cfg, e.st, world, time.Now(), plan.Options{Replace: []string{"certificate.web"}}))
	}
	replace() // the rotation: a new key, the old one is compromised
	second := e.st.Certificates["certificate.web"].DeepCopy()
	if second.KeySHA256 == first.KeySHA256 {
		t.Fatal("--replace kept the key")
	}
	if err := os.WriteFile(keyFile, oldKey, 0o600); err != nil { // a backup restored
		t.Fatal(err)
	}
	replace()
	third := e.st.Certificates["certificate.web"]
	if third.KeySHA256 == first.KeySHA256 || third.CSRName == first.CSRName || third.SerialNumber == first.SerialNumber {
		t.Errorf("--replace brought back the superseded key and certificate (CSR %s, serial %s)", third.CSRName, third.SerialNumber)
	}
	if third.KeySHA256 == second.KeySHA256 {
		t.Error("--replace kept the key")
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
