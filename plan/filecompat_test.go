package plan

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/zclconf/go-cty/cty"

	"github.com/certform/certform/state/statefile"
)

var updateCompat = flag.Bool("update-compat", false, "rewrite the format 2 saved-plan goldens from the format 1 ones")

// TestSavedPlanCompat reads saved plans written by an earlier certform
// (format 1, certform_version 0.9.0, from before the wire types were split
// from the model). Each still reads whole, and writing it again gives the
// format 2 golden beside it, which itself reads and re-encodes to the same
// bytes.
func TestSavedPlanCompat(t *testing.T) {
	defer func(v string) { statefile.Version = v }(statefile.Version)
	statefile.Version = "0.9.0"
	files, _ := filepath.Glob("testdata/compat/saved-v1-*.plan")
	if len(files) < 2 {
		t.Fatalf("compat fixtures: %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			saved, err := DecodeFile(mustReadFile(t, f))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(f, "everything") {
				checkEverything(t, saved)
			}
			out, err := EncodeFile(saved)
			if err != nil {
				t.Fatal(err)
			}
			v2 := strings.Replace(f, "saved-v1-", "saved-v2-", 1)
			if *updateCompat {
				if err := os.WriteFile(v2, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := mustReadFile(t, v2)
			if string(out) != string(want) {
				t.Errorf("format 1 re-encoded differs from %s:\n%s", v2, out)
			}
			again, err := DecodeFile(want)
			if err != nil {
				t.Fatalf("reading %s: %v", v2, err)
			}
			if diff := cmp.Diff(saved, again, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b cty.Value) bool { return a.RawEquals(b) })); diff != "" {
				t.Errorf("format 1 and format 2 read differently (-v1 +v2):\n%s", diff)
			}
			if out2, _ := EncodeFile(again); string(out2) != string(want) {
				t.Errorf("%s does not re-encode to itself:\n%s", v2, out2)
			}
		})
	}
}

// checkEverything: the fields the golden sets arrived, bundles (Go field
// names in format 1) among them.
func checkEverything(t *testing.T, s Saved) {
	t.Helper()
	p := s.Plan
	if s.Workspace != "staging" || s.StateDigest != "5ta7e" || s.ConfigDigest != "c0ffee" || len(s.Variables) != 3 || p.Serial != 7 {
		t.Errorf("header read as %+v", s)
	}
	if len(p.Changes) != 6 {
		t.Fatalf("%d changes, want 6", len(p.Changes))
	}
	api := p.Changes[0]
	if a := api.AfterAttrs; a == nil || a.Settings == nil || a.Settings.RenewBefore != 2*time.Hour || a.Files[0].Mode != 0o600 ||
		a.Secret == nil || !a.Secret.Adopt || api.After == nil || api.After.ExpirationSeconds != 86400 || api.Forces[0] != "hosts" {
		t.Errorf("certificate.api read as %+v (attributes %+v)", api, api.AfterAttrs)
	}
	if gone := p.Changes[2]; len(gone.Removes) != 2 || gone.Removes[1].Effect != EffectRelease || !gone.Removes[1].Unobserved {
		t.Errorf("removes read as %+v", gone.Removes)
	}
	if imp := p.Changes[3]; imp.Import == nil || imp.Import.CertFile != "in/web.crt" {
		t.Errorf("import read as %+v", imp.Import)
	}
	if mv := p.Changes[4]; mv.PrevAddr != "certificate.moved" {
		t.Errorf("move read as %+v", mv)
	}
	if len(p.Bundles) != 1 || len(p.Bundles[0].Targets) != 2 {
		t.Fatalf("bundles read as %+v", p.Bundles)
	}
	b := p.Bundles[0]
	tc := b.Targets[0]
	if b.Addr != "ca_bundle.internal" || b.Action != Update || len(b.Files) != 1 || tc.Kind != "configmap" || len(tc.PEM) == 0 ||
		len(tc.Added) != 1 || tc.Added[0].Subject != "CN=Root B" || len(tc.Kept) != 1 || len(tc.Fingerprints) != 2 || !b.Targets[1].Adopt {
		t.Errorf("bundle read as %+v, first target %+v", b, tc)
	}
	if len(p.CAContent["ca_bundle.internal"]) == 0 {
		t.Error("ca_content lost")
	}
}

// TestSavedPlanRoundTrip: every field a saved plan carries comes back from
// EncodeFile and DecodeFile as it went in.
func TestSavedPlanRoundTrip(t *testing.T) {
	saved, err := DecodeFile(mustReadFile(t, "testdata/compat/saved-v2-everything.plan"))
	if err != nil {
		t.Fatal(err)
	}
	saved.Plan.Created = time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	data, err := EncodeFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(saved, back, cmp.Comparer(func(a, b cty.Value) bool { return a.RawEquals(b) })); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for _, name := range []string{`"Addr"`, `"PEM"`, `"Targets"`, `"Kind"`} {
		if strings.Contains(string(data), name) {
			t.Errorf("format 2 holds the Go field name %s", name)
		}
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
