package plan

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certform/certform/config"
	"github.com/certform/certform/state"
)

// refactorConfig declares certificate.web and certificate.pod["a"], ["b"],
// plus the blocks of a case.
func refactorConfig(t *testing.T, blocks string) *config.Config {
	t.Helper()
	src := `
certificate "web" {
  common_name = "web.example"
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "web-tls"
  }
}
certificate "pod" {
  for_each    = toset(["a", "b"])
  common_name = "${each.key}.example"
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "pod-${each.key}"
  }
}
` + blocks
	cfg, diags := config.LoadSource([]byte(src), "main.hcl", ".", config.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

func moved(from, to string) string {
	return fmt.Sprintf("moved {\n  from = %s\n  to   = %s\n}\n", from, to)
}

func stateWith(addrs ...string) *state.State {
	st := &state.State{Lineage: "l", Certificates: map[string]*state.Certificate{}}
	for _, a := range addrs {
		st.Certificates[a] = &state.Certificate{Addr: a, Status: state.StatusIssued}
	}
	return st
}

// TestCheckRefactors checks moved, removed and import blocks against
// state and the configuration; diagnostics as "line:summary".
func TestCheckRefactors(t *testing.T) {
	removed := func(from string) string {
		return fmt.Sprintf("removed {\n  from = %s\n  lifecycle {\n    destroy = false\n  }\n}\n", from)
	}
	imp := func(to string) string {
		return fmt.Sprintf("import {\n  to        = %s\n  key_file  = \"a.key\"\n  cert_file = \"a.crt\"\n}\n", to)
	}
	cases := map[string]struct {
		blocks string
		state  []string
		want   []string
		moves  []string // "from -> to"
	}{
		"rename":                       {blocks: moved("certificate.old", "certificate.web"), state: []string{"certificate.old"}, moves: []string{"certificate.old -> certificate.web"}},
		"whole for_each block":         {blocks: moved("certificate.old", "certificate.pod"), state: []string{`certificate.old["a"]`, `certificate.old["b"]`}, moves: []string{`certificate.old["a"] -> certificate.pod["a"]`, `certificate.old["b"] -> certificate.pod["b"]`}},
		"instance to block":            {blocks: moved(`certificate.old["x"]`, "certificate.web"), state: []string{`certificate.old["x"]`, `certificate.old["y"]`}, moves: []string{`certificate.old["x"] -> certificate.web`}},
		"block to instance":            {blocks: moved("certificate.old", `certificate.pod["a"]`), state: []string{"certificate.old"}, moves: []string{`certificate.old -> certificate.pod["a"]`}},
		"already moved":                {blocks: moved("certificate.old", "certificate.web"), state: []string{"certificate.web"}},
		"onto an address in state":     {blocks: moved("certificate.old", "certificate.web"), state: []string{"certificate.old", "certificate.web"}, want: []string{"21:Move onto an address in state"}},
		"to an unconfigured address":   {blocks: moved("certificate.old", "certificate.nope"), state: []string{"certificate.old"}, want: []string{"21:Move to an address not in the configuration"}},
		"instance keys not configured": {blocks: moved("certificate.old", "certificate.pod"), state: []string{`certificate.old["c"]`}, want: []string{"21:Move to an address not in the configuration"}},
		"block into an instance of a block without for_each": {blocks: moved("certificate.old", `certificate.web["a"]`), state: []string{"certificate.old"}, want: []string{"21:Move into an instance of a block without for_each"}},
		"for_each block into instance":                       {blocks: moved("certificate.old", `certificate.pod["a"]`), state: []string{`certificate.old["a"]`}, want: []string{"21:Cannot move a for_each block into one instance"}},
		"instance into for_each block":                       {blocks: moved(`certificate.old["a"]`, "certificate.pod"), state: []string{`certificate.old["a"]`}, want: []string{"21:Move of an instance into a block with for_each"}},
		"removed":                                            {blocks: removed("certificate.gone"), state: []string{"certificate.gone"}},
		"removed still configured":                           {blocks: removed("certificate.web"), want: []string{"20:Removed address is still configured"}},
		"removed instance configured":                        {blocks: removed(`certificate.pod["a"]`), want: []string{"20:Removed address is still configured"}},
		"removed block configured":                           {blocks: removed("certificate.pod"), want: []string{"20:Removed address is still configured"}},
		"import":                                             {blocks: imp(`certificate.pod["a"]`)},
		"import already done":                                {blocks: imp("certificate.web"), state: []string{"certificate.web"}},
		"import into for_each block":                         {blocks: imp("certificate.pod"), want: []string{"20:Import into a block with for_each"}},
		"import unconfigured":                                {blocks: imp("certificate.nope"), want: []string{"20:Import into an address not in the configuration"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := refactorConfig(t, tc.blocks)
			prior := stateWith(tc.state...)
			var got []string
			for _, d := range CheckRefactors(cfg, prior) {
				got = append(got, fmt.Sprintf("%d:%s", d.Subject.Start.Line, d.Summary))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			moves, _ := resolveMoves(cfg, prior)
			var gotMoves []string
			for _, m := range moves {
				gotMoves = append(gotMoves, m.from+" -> "+m.to)
			}
			slices.Sort(gotMoves)
			if diff := cmp.Diff(tc.moves, gotMoves); diff != "" {
				t.Errorf("moves (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSavedPlanRefactors round-trips a saved plan with a move, a forget
// and an import, and binds it to the state it was made from and to states
// that moved on.
func TestSavedPlanRefactors(t *testing.T) {
	cfg := refactorConfig(t, moved("certificate.old", "certificate.web")+
		"removed {\n  from = certificate.gone\n  lifecycle {\n    destroy = false\n  }\n}\n"+
		"import {\n  to        = certificate.pod[\"a\"]\n  key_file  = \"a.key\"\n  cert_file = \"a.crt\"\n}\n")
	prior := stateWith("certificate.old", "certificate.gone", `certificate.pod["b"]`)
	p := Make(cfg, prior, World{}, time.Unix(0, 0), Options{})
	data, err := EncodeFile(Saved{Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		state   *state.State
		wantErr string
	}{
		"same state":            {state: prior},
		"moved already":         {state: stateWith("certificate.web", "certificate.gone", `certificate.pod["b"]`), wantErr: "certificate.old is to move to certificate.web, which state already holds"},
		"record to move went":   {state: stateWith("certificate.gone", `certificate.pod["b"]`), wantErr: "replace certificate.old has no record"},
		"imported already":      {state: stateWith("certificate.old", "certificate.gone", `certificate.pod["a"]`, `certificate.pod["b"]`), wantErr: `certificate.pod["a"], to be imported, is already in state`},
		"forgotten record went": {state: stateWith("certificate.old", `certificate.pod["b"]`), wantErr: "forget certificate.gone has no record"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			saved, err := DecodeFile(data)
			if err != nil {
				t.Fatal(err)
			}
			err = saved.Bind(tc.state)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if err := saved.Check(cfg); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, ch := range saved.Plan.Changes {
					if ch.PrevAddr != "" || ch.Action == Import || ch.Action == Forget {
						got = append(got, fmt.Sprintf("%s %s prev=%s import=%v before=%v", ch.Action, ch.Addr, ch.PrevAddr, ch.Import != nil, ch.Before != nil))
					}
				}
				want := []string{
					`import certificate.pod["a"] prev= import=true before=false`,
					"replace certificate.web prev=certificate.old import=false before=true", // the test's records have no request,
					"forget certificate.gone prev= import=false before=true",
				}
				slices.Sort(want)
				slices.Sort(got)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("changes (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestUntargetedMoveKeepsItsAttributes: a move is done whatever the
// targets, and a moved record outside them changes nothing but its
// address, so the plan must show its attributes as they stay, not as all
// removed (private key included).
func TestUntargetedMoveKeepsItsAttributes(t *testing.T) {
	cfg := refactorConfig(t, moved("certificate.old", "certificate.web"))
	prior := stateWith("certificate.old", `certificate.pod["a"]`, `certificate.pod["b"]`)
	p := Make(cfg, prior, World{}, time.Unix(0, 0), Options{Targets: []string{"certificate.pod"}})
	i := slices.IndexFunc(p.Changes, func(ch *Change) bool { return ch.Addr == "certificate.web" })
	if i < 0 {
		t.Fatal("the move of certificate.old is not in a plan targeting certificate.pod")
	}
	ch := p.Changes[i]
	if ch.Action != NoOp || ch.PrevAddr != "certificate.old" {
		t.Fatalf("got %s from %q, want a move from certificate.old", ch.Action, ch.PrevAddr)
	}
	if ch.AfterAttrs == nil {
		t.Fatal("no planned attributes: the plan shows every attribute of the moved record as removed")
	}
	if diff := cmp.Diff(ch.BeforeAttrs, ch.AfterAttrs); diff != "" {
		t.Errorf("a move outside the targets changes attributes (-before +after):\n%s", diff)
	}
}
