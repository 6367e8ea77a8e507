package apply

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/certform/certform/config"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// TestOrder checks which changes wait for which when outputs move onto
// paths that other addresses hold in state.
func TestOrder(t *testing.T) {
	type move struct{ from, to string } // key file before and after; "" for none
	cases := map[string]struct {
		moves       map[string]move // address → its key file move
		inPlan      []string        // addresses with a change; default all
		wantOrder   []string
		wantBlocked []string
	}{
		"no moves": {
			moves:     map[string]move{"a": {"a.key", "a.key"}, "b": {"b.key", "b.key"}},
			wantOrder: []string{"a", "b"},
		},
		"shifted by one": {
			moves:     map[string]move{"a": {"k0", "k1"}, "b": {"k1", "k2"}, "c": {"k2", "k3"}},
			wantOrder: []string{"c", "b", "a"},
		},
		"shifted, spelled differently": {
			moves:     map[string]move{"a": {"out/k0", "./out/k1"}, "b": {"out/./k1", "out/k2"}},
			wantOrder: []string{"b", "a"},
		},
		"new certificate onto a removed one's path": {
			moves:     map[string]move{"a": {"", "old.key"}, "old": {"old.key", ""}},
			wantOrder: []string{"old", "a"},
		},
		"swap": {
			moves:       map[string]move{"a": {"k0", "k1"}, "b": {"k1", "k0"}, "c": {"k2", "k3"}},
			wantOrder:   []string{"b", "a", "c"},
			wantBlocked: []string{"b", "a"},
		},
		"holder not in the plan (--target)": {
			moves:       map[string]move{"a": {"k0", "k1"}, "b": {"k1", "k2"}},
			inPlan:      []string{"a"},
			wantOrder:   []string{"a"},
			wantBlocked: []string{"a"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			prior := state.New()
			cfg := map[string]*config.Certificate{}
			var changes []*plan.Change
			for _, addr := range []string{"a", "b", "c", "old"} {
				m, ok := tc.moves[addr]
				if !ok {
					continue
				}
				ch := &plan.Change{Addr: addr, Action: plan.Update}
				if m.from != "" {
					ch.Before = &state.Certificate{Addr: addr, Files: map[string]state.File{m.from: {Role: state.RoleKey}}}
					prior.Certificates[addr] = ch.Before
				}
				if m.to != "" {
					cfg[addr] = &config.Certificate{Addr: addr, Output: config.Output{KeyFile: m.to, CertFile: addr + ".crt"}}
				} else {
					ch.Action = plan.Delete
				}
				if tc.inPlan == nil || slices.Contains(tc.inPlan, addr) {
					changes = append(changes, ch)
				}
			}
			s := order(changes, cfg, prior, "")
			var got, blocked []string
			for _, ch := range s.changes {
				got = append(got, ch.Addr)
				if s.blocked[ch.Addr] != nil {
					blocked = append(blocked, ch.Addr)
				}
			}
			if diff := cmp.Diff(tc.wantOrder, got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantBlocked, blocked); diff != "" {
				t.Errorf("blocked (-want +got):\n%s", diff)
			}
		})
	}
}
