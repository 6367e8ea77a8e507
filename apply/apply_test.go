package apply

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/testcluster"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/refresh"
	"github.com/certform/certform/state"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

// env is a configuration directory wired to the shared real cluster.
type env struct {
	t    *testing.T
	dir  string
	cs   kubernetes.Interface
	csrs kube.CSRs
	keys keystore.Store
	st   *state.State
}

func newEnv(t *testing.T) *env {
	c := testcluster.Shared(t)
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: c.AdminKubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return &env{t: t, dir: dir, cs: cs, csrs: cs.CertificatesV1().CertificateSigningRequests(),
		keys: keystore.Store{Dir: filepath.Join(dir, keystore.DefaultDir)}, st: state.New()}
}

func (e *env) config(extra string) *config.Config {
	src := fmt.Sprintf(`
certificate "web" {
  common_name        = "web"
  signer_name        = "kubernetes.io/kube-apiserver-client"
  usages             = ["digital signature", "client auth"]
  expiration_seconds = 3600
  self_approve       = true
  %s
  output {
    key_file  = "%s/web.key"
    cert_file = "%s/web.crt"
  }
}
`, extra, e.dir, e.dir)
	cfg, diags := config.LoadSource([]byte(src), "main.hcl", e.dir, config.Inputs{})
	if diags.HasErrors() {
		e.t.Fatal(diags)
	}
	return cfg
}

// plan observes the real world and plans at now.
func (e *env) plan(cfg *config.Config, now time.Time) *plan.Plan {
	world, err := e.observe(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := plan.MakeListing(cfg, e.st, world, now, plan.Options{}, func(world *plan.World) error {
		return refresh.ListCSRs(context.Background(), e.cs, e.st, world)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) observe(cfg *config.Config) (plan.World, error) {
	return refresh.Refresh(context.Background(), cfg, e.st, e.cs, e.keys)
}

func (e *env) apply(cfg *config.Config, p *plan.Plan) {
	st, err := Apply(context.Background(), p, cfg, e.st, Options{CSRs: e.csrs, Keys: e.keys, WaitTimeout: time.Minute})
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
}

func onlyAction(t *testing.T, p *plan.Plan, want plan.Action) {
	t.Helper()
	if len(p.Changes) != 1 || p.Changes[0].Action != want {
		t.Fatalf("plan = %+v, want one %s", p.Changes, want)
	}
}

// TestRenewalAfterMovingTheClock issues through the real signer, then plans
// at an injected time inside the renewal window: the certificate is renewed
// (with a new key unless rotation is "never"), and planning at the real time
// afterwards finds nothing to do.
func TestRenewalAfterMovingTheClock(t *testing.T) {
	tests := map[string]struct {
		extra       string
		wantSameKey bool
	}{
		"new key (rotation always)": {},
		"same key (rotation never)": {extra: `key { rotation = "never" }`, wantSameKey: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			cfg := e.config(tc.extra)
			onlyAction(t, e.plan(cfg, time.Now()), plan.Create)
			e.apply(cfg, e.plan(cfg, time.Now()))
			first := e.st.Certificates["certificate.web"].DeepCopy()
			onlyAction(t, e.plan(cfg, time.Now()), plan.NoOp)

			// The built-in signer backdates NotBefore by 5 minutes; the window
			// opens when a third of the lifetime is left.
			later := first.NotAfter.Add(-15 * time.Minute)
			p := e.plan(cfg, later)
			onlyAction(t, p, plan.Renew)
			e.apply(cfg, p)
			second := e.st.Certificates["certificate.web"]
			if second.SerialNumber == first.SerialNumber || second.CSRName == first.CSRName || second.NotAfter.Before(first.NotAfter) {
				t.Errorf("renewal did not issue a new certificate: before %+v, after %+v", first, second)
			}
			if (second.KeySHA256 == first.KeySHA256) != tc.wantSameKey {
				t.Errorf("key reused = %v, want %v", second.KeySHA256 == first.KeySHA256, tc.wantSameKey)
			}
			onlyAction(t, e.plan(cfg, time.Now()), plan.NoOp)
		})
	}
}
