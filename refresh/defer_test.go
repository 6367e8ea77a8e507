package refresh

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/plan"
	"github.com/certform/certform/refresh/observed"
	"github.com/certform/certform/state"
)

// inFlight records certificate.web as submitted and waiting for its CSR:
// a record whose plan always reads the CSR.
func (e *env) inFlight() {
	e.record("certificate.web", state.Certificate{Status: state.StatusPending, CSRName: e.ns + "-web", CSRUID: "3c0ffee0-0000-4000-8000-000000000000"}, nil)
}

// TestRefreshDefersCSRs: the List of CSRs is left out when no record is
// in flight or removed from the configuration, and only then. The client
// is one of a server that does not answer, so a List, had refresh made
// one, would fail the refresh.
func TestRefreshDefersCSRs(t *testing.T) {
	cases := map[string]struct {
		setup  func(e *env)
		defers bool
	}{
		"intact issued records": {setup: func(e *env) { e.issued(time.Now().Add(time.Hour)) }, defers: true},
		"issued, a file edited (the planner decides)": {setup: func(e *env) {
			_, cert := e.issued(time.Now().Add(time.Hour))
			e.write(strings.TrimPrefix(cert, e.dir+"/"), "edited", []byte("edited\n"), 0o644)
		}, defers: true},
		"a record in flight": {setup: func(e *env) { e.inFlight() }},
		"a record being submitted": {setup: func(e *env) {
			e.record("certificate.web", state.Certificate{Status: state.StatusSubmitting, CSRName: e.ns + "-web"}, nil)
		}},
		"an address left the configuration": {setup: func(e *env) {
			e.issued(time.Now().Add(time.Hour))
			e.record("certificate.old", state.Certificate{Status: state.StatusIssued, CSRName: e.ns + "-old"}, nil)
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			tc.setup(e)
			cs, err := kubernetes.NewForConfig(closedServer(t))
			if err != nil {
				t.Fatal(err)
			}
			w, err := RefreshIn(context.Background(), e.config(webConfig), e.st, cs, nil, e.keys, nil)
			switch {
			case tc.defers && err != nil:
				t.Fatalf("refresh made a request: %v", err)
			case tc.defers && !w.CSRsDeferred():
				t.Fatal("the List was not deferred")
			case !tc.defers && (err == nil || !strings.HasPrefix(err.Error(), "listing CSRs: ")):
				t.Fatalf("err = %v, want the List's (refresh must list)", err)
			}
		})
	}
}

// TestPlanListsDeferredCSRsWhenWanted: with the List deferred, a plan
// that needs no CSR lists nothing, and one that does (a cert file edited,
// to be rewritten from its CSR, still issued in the real cluster) lists
// them and is the plan an undeferred world gives.
func TestPlanListsDeferredCSRsWhenWanted(t *testing.T) {
	cases := map[string]struct {
		change  func(t *testing.T, certPath string)
		lists   int
		action  plan.Action
		fromCSR bool
	}{
		"intact": {change: func(*testing.T, string) {}, action: plan.NoOp},
		"cert file edited": {change: func(t *testing.T, certPath string) {
			if err := os.WriteFile(certPath, []byte("edited by hand\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, lists: 1, action: plan.Update, fromCSR: true},
		// An update that keeps the certificate keeps its CSR: nothing to list.
		"cert file mode changed": {change: func(t *testing.T, certPath string) {
			if err := os.Chmod(certPath, 0o640); err != nil {
				t.Fatal(err)
			}
		}, action: plan.Update},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			k := e.key("web")
			ca := e.key("ca")
			leaf := e.cert("web", k, e.cert("ca", ca, nil, nil, time.Now().Add(2*365*24*time.Hour)), ca, time.Now().Add(365*24*time.Hour))
			csr := e.decide(e.csr("web", k, nil), certv1.CertificateApproved, "Test", "approved by the test")
			e.sign(csr, leaf)
			keyPath := e.write("web.key", "web.key", e.keyPEM(k), 0o600)
			certPath := e.write("web.crt", "web.crt", pemOf(leaf), 0o644)
			cfg := e.config(webConfig)
			e.record("certificate.web", state.Certificate{Status: state.StatusIssued, CSRName: csr.Name, CSRUID: string(csr.UID),
				Request: plan.RequestOf(cfg.Certificates[0]), KeySHA256: e.fingerprint(k),
				SerialNumber: leaf.SerialNumber.Text(16), NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter},
				map[string]string{keyPath: state.RoleKey, certPath: state.RoleCert})
			tc.change(t, certPath)
			w, err := e.refresh(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !w.CSRsDeferred() {
				t.Fatal("the List was not deferred")
			}
			lists := 0
			p, err := plan.MakeListing(cfg, e.st, w, time.Now(), plan.Options{}, func(w *observed.World) error {
				lists++
				return ListCSRs(context.Background(), e.cs, e.st, w)
			})
			if err != nil {
				t.Fatal(err)
			}
			if ch := p.Changes[0]; lists != tc.lists || ch.Action != tc.action || ch.RewriteCert != tc.fromCSR {
				t.Fatalf("%d List(s), action %s (rewritten from the CSR: %v) %v; want %d, %s (%v)",
					lists, ch.Action, ch.RewriteCert, ch.Reasons, tc.lists, tc.action, tc.fromCSR)
			}
		})
	}
}
