package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/certform/certform/state"
)

// TestCheckHome: a record bound to another named cluster is refused in
// this one (a move, a state mv, a changed cluster argument) unless it is
// the very cluster under a new name; what CheckHome refuses,
// CheckIdentity leaves to it, and --rebind-cluster does not take.
func TestCheckHome(t *testing.T) {
	eu := state.Cluster{Name: "eu", UID: "uid-eu", Server: "https://eu:6443"}
	us := state.Cluster{Name: "us", UID: "uid-us", Server: "https://us:6443"}
	moved := "moved {\n  from = certificate.api\n  to   = certificate.web[\"eu\"]\n}\n"
	cases := map[string]struct {
		extra    string
		addr     string
		recorded state.Cluster
		observed state.Cluster
		want     []ClusterMove
	}{
		"bound to this cluster":          {"", `certificate.web["eu"]`, eu, eu, nil},
		"unbound, from before fleets":    {"", `certificate.web["eu"]`, state.Cluster{Name: state.DefaultCluster}, eu, nil},
		"kubernetes block renamed":       {"", `certificate.web["eu"]`, state.Cluster{Name: "europe", UID: "uid-eu"}, eu, nil},
		"changed cluster argument":       {"", `certificate.web["eu"]`, us, eu, []ClusterMove{{Addr: `certificate.web["eu"]`, From: us}}},
		"moved block into another":       {moved, "certificate.api", us, eu, []ClusterMove{{Addr: "certificate.api", To: `certificate.web["eu"]`, From: us}}},
		"moved, identity not readable":   {moved, "certificate.api", us, state.Cluster{Name: "eu"}, []ClusterMove{{Addr: "certificate.api", To: `certificate.web["eu"]`, From: us}}},
		"context re-pointed, same names": {"", `certificate.web["eu"]`, eu, state.Cluster{Name: "eu", UID: "uid-us"}, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			prior := stateWith(c.addr)
			prior.Certificates[c.addr].Cluster = c.recorded
			part := Part{Cluster: "eu", Config: loadFleet(t, c.extra), Prior: prior}
			e := part.CheckHome(c.observed)
			var got []ClusterMove
			if e != nil {
				got = e.Moves
				for _, want := range []string{`into cluster "eu"`, c.addr, "https://us:6443", "stay in the cluster they were applied to"} {
					if !strings.Contains(e.Error(), want) {
						t.Errorf("error %q does not say %s", e, want)
					}
				}
				if id := part.CheckIdentity(c.observed, false); id != nil {
					t.Errorf("CheckIdentity refuses it too: %v", id)
				}
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("moves (-want +got):\n%s", diff)
			}
		})
	}
}
