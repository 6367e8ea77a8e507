package plan

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certform/certform/config"
	"github.com/certform/certform/state"
)

// TestFileConflicts: an output file already on disk that no record of
// this state holds is a conflict, unless it is an import's own source.
func TestFileConflicts(t *testing.T) {
	const cert = `
certificate "web" {
  common_name = "web.example"
  signer_name = "example.com/serving"
  output {
    key_file  = "out/web.key"
    cert_file = "out/web.crt"
  }
}
`
	held := func(paths ...string) *state.State {
		st := stateWith("certificate.other")
		st.Certificates["certificate.other"].Files = map[string]state.File{}
		for _, p := range paths {
			st.Certificates["certificate.other"].Files[p] = state.File{}
		}
		return st
	}
	cases := []struct {
		name   string
		extra  string
		prior  *state.State
		exists []string
		want   []string // paths in conflict
	}{
		{"nothing on disk", "", stateWith(), nil, nil},
		{"hand-made key", "", stateWith(), []string{"out/web.key"}, []string{"out/web.key"}},
		{"a file another record holds", "", held("out/web.key"), []string{"out/web.key"}, nil},
		{"import source spelled another way", "import {\n  to = certificate.web\n  key_file = \"./out/web.key\"\n  cert_file = \"out//web.crt\"\n}\n",
			stateWith(), []string{"out/web.key", "out/web.crt"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, diags := config.LoadSource([]byte(cert+c.extra), "main.hcl", ".", config.Inputs{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			world := World{Refreshed: true, Files: map[string]FileObservation{}}
			for _, p := range c.exists {
				world.Files[p] = FileObservation{Exists: true, SHA256: "x"}
			}
			p := Make(cfg, c.prior, world, time.Unix(0, 0), Options{})
			var got []string
			for _, msg := range p.Conflicts {
				for _, f := range []string{"out/web.key", "out/web.crt"} {
					if strings.Contains(msg, "file "+f+" exists") {
						got = append(got, f)
					}
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(c.want))
			if !slices.Equal(got, want) {
				t.Errorf("conflicts on %q, want %q (%q)", got, want, p.Conflicts)
			}
		})
	}
}
