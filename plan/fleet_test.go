package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certform/certform/config"
	"github.com/certform/certform/refresh/observed"
	"github.com/certform/certform/state"
)

const fleetConfig = `
kubernetes "eu" {
  context = "eu"
}

certificate "web" {
  for_each    = kubernetes
  common_name = "web.example"
  signer_name = "example.com/serving"
  cluster     = each.value
  secret {
    namespace = "default"
    name      = "web-tls"
  }
}
`

func loadFleet(t *testing.T, extra string) *config.Config {
	t.Helper()
	cfg, diags := config.LoadSource([]byte(fleetConfig+extra), "main.hcl", ".", config.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

// TestSplit: each record goes to the cluster that declares its address,
// after moves, else to the one it records; one cluster is one part.
func TestSplit(t *testing.T) {
	inCluster := func(st *state.State, addr, name string) *state.State {
		st.Certificates[addr].Cluster = state.Cluster{Name: name}
		return st
	}
	cases := map[string]struct {
		extra string
		prior *state.State
		want  map[string][]string // cluster → addresses
	}{
		"configured": {"", stateWith(`certificate.web["eu"]`),
			map[string][]string{"default": {`certificate.web["default"]`}, "eu": {`certificate.web["eu"]`}}},
		"removed from configuration, recorded in eu": {"", inCluster(stateWith("certificate.gone"), "certificate.gone", "eu"),
			map[string][]string{"default": {`certificate.web["default"]`}, "eu": {"certificate.gone", `certificate.web["eu"]`}}},
		"recorded in a cluster no longer declared": {"", inCluster(stateWith("certificate.old"), "certificate.old", "us"),
			map[string][]string{"default": {`certificate.web["default"]`}, "eu": {`certificate.web["eu"]`}, "us": {"certificate.old"}}},
		"moved into eu": {"moved {\n  from = certificate.api\n  to = certificate.web[\"eu\"]\n}\n", stateWith("certificate.api"),
			map[string][]string{"default": {`certificate.web["default"]`}, "eu": {"certificate.api", `certificate.web["eu"]`}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := map[string][]string{}
			for _, p := range Split(loadFleet(t, c.extra), c.prior) {
				got[p.Cluster] = p.Addrs()
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
		})
	}
	single, diags := config.LoadSource([]byte("certificate \"a\" {\n  common_name = \"a\"\n  signer_name = \"example.com/s\"\n  secret {\n    namespace = \"default\"\n    name = \"a\"\n  }\n}\n"), "main.hcl", ".", config.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	prior := stateWith("certificate.a")
	if parts := Split(single, prior); len(parts) != 1 || parts[0].Config != single || parts[0].Prior != prior {
		t.Errorf("one cluster: got %d parts, want the configuration and state themselves", len(parts))
	}
}

// TestCheckIdentity: records bound to another cluster are refused unless
// rebound; unbound records are adopted.
func TestCheckIdentity(t *testing.T) {
	here := state.Cluster{Name: "eu", UID: "uid-eu", Server: "https://eu:6443"}
	other := state.Cluster{Name: "eu", UID: "uid-us", Server: "https://us:6443"}
	cases := map[string]struct {
		recorded state.Cluster
		observed state.Cluster
		rebind   bool
		refused  bool
	}{
		"same cluster":                  {here, here, false, false},
		"same cluster at a new address": {here, state.Cluster{Name: "eu", UID: "uid-eu", Server: "https://10.0.0.9:6443"}, false, false},
		"unbound record adopts":         {state.Cluster{Name: "eu"}, here, false, false},
		"other cluster":                 {other, here, false, true},
		"other cluster, rebound":        {other, here, true, false},
		"identity not readable":         {other, state.Cluster{Name: "eu"}, false, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			prior := stateWith(`certificate.web["eu"]`)
			prior.Certificates[`certificate.web["eu"]`].Cluster = c.recorded
			part := Part{Cluster: "eu", Config: &config.Config{}, Prior: prior}
			err := part.CheckIdentity(c.observed, c.rebind)
			if (err != nil) != c.refused {
				t.Fatalf("CheckIdentity = %v, want refused %v", err, c.refused)
			}
			if err != nil {
				for _, want := range []string{"https://us:6443", "uid-us", "https://eu:6443", "uid-eu", `certificate.web["eu"]`} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not name %s", err, want)
					}
				}
			}
		})
	}
}

// TestRenewJitter: the renewal point moves earlier by at most the jitter,
// the same for the same address and serial, and spreads over addresses.
func TestRenewJitter(t *testing.T) {
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	na := nb.Add(100 * time.Hour)
	plain := &config.Certificate{Addr: "certificate.a"}
	base := RenewalTime(plain, "01", nb, na) // a third of the lifetime left
	earliest, latest := na, nb
	for i := range 200 {
		c := &config.Certificate{Addr: `certificate.a["` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `"]`, RenewJitter: 10}
		at := RenewalTime(c, "01", nb, na)
		if at != RenewalTime(c, "01", nb, na) {
			t.Fatalf("%s: two plans disagree", c.Addr)
		}
		if at.After(base) || at.Before(base.Add(-10*time.Hour)) {
			t.Fatalf("%s renews at %s, outside [%s, %s]", c.Addr, at, base.Add(-10*time.Hour), base)
		}
		earliest, latest = minTime(earliest, at), maxTime(latest, at)
	}
	if spread := latest.Sub(earliest); spread < 8*time.Hour {
		t.Errorf("200 addresses renew within %s of each other, want them spread over most of 10h", spread)
	}
	c := &config.Certificate{Addr: "certificate.a", RenewJitter: 50}
	if RenewalTime(c, "01", nb, na) == RenewalTime(c, "02", nb, na) {
		t.Error("a reissue (new serial) renews at the same point: the draw should change")
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// TestChangeCluster: each change names its cluster, "" for the default;
// a record no longer configured keeps the one it records.
func TestChangeCluster(t *testing.T) {
	prior := stateWith("certificate.gone")
	prior.Certificates["certificate.gone"].Cluster = state.Cluster{Name: "eu", UID: "u"}
	p := Make(loadFleet(t, ""), prior, observed.World{}, time.Unix(0, 0), Options{})
	got := map[string]string{}
	for _, ch := range p.Changes {
		got[ch.Addr] = ch.Cluster
	}
	want := map[string]string{`certificate.web["default"]`: "", `certificate.web["eu"]`: "eu", "certificate.gone": "eu"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("clusters (-want +got):\n%s", diff)
	}
}
