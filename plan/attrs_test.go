package plan

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certform/certform/config"
	"github.com/certform/certform/state"
)

const attrsConfig = `
certificate "web" {
  common_name  = "web.example"
  signer_name  = "example.com/s"
  self_approve = true
  renew_before = "8h"
  output {
    key_file      = "out/web.key"
    key_file_mode = "0400"
    cert_file     = "out/web.crt"
    csr_file      = "out/web.csr"
  }
  secret {
    namespace = "team-a"
    name      = "web-tls"
    adopt     = true
  }
}`

func loadAttrsConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, diags := config.LoadSource([]byte(attrsConfig), "main.hcl", t.TempDir(), config.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

// TestAttributesOf: the planned attributes hold every output with its mode,
// the Secret and the settings, and say where the private key goes.
func TestAttributesOf(t *testing.T) {
	a := AttributesOf(loadAttrsConfig(t).Certificates[0])
	want := &Settings{SelfApprove: true, RenewBefore: 8 * time.Hour, KeyRotation: config.RotateAlways}
	if diff := cmp.Diff(want, a.Settings); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	wantFiles := []Output{{state.RoleKey, "out/web.key", 0o400}, {state.RoleCert, "out/web.crt", 0o644}, {state.RoleCSR, "out/web.csr", 0o644}}
	if diff := cmp.Diff(wantFiles, a.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	wantHomes := []KeyHome{{Kind: "file", Name: "out/web.key", Mode: 0o400}, {Kind: "secret", Name: "team-a/web-tls"}}
	if diff := cmp.Diff(wantHomes, a.KeyHomes()); diff != "" {
		t.Errorf("key homes (-want +got):\n%s", diff)
	}
}

// TestRemovals: a delete lists what it removes, as observed.
func TestRemovals(t *testing.T) {
	rec := &state.Certificate{Addr: "certificate.web", CSRName: "web-1", Files: map[string]state.File{
		"out/web.crt": {Role: state.RoleCert, SHA256: "c1", Mode: 0o644},
		"out/web.key": {Role: state.RoleKey, SHA256: "k1", Mode: 0o600},
	}, Secret: &state.SecretRecord{Namespace: "team-a", Name: "web-tls"}}
	files := map[string]FileObservation{"out/web.key": {Exists: true, SHA256: "k1"}, "out/web.crt": {Exists: true, SHA256: "c1"}}
	tests := map[string]struct {
		world      World
		want       []Effect // key, cert, Secret, CSR
		unobserved bool
	}{
		"not refreshed": {world: World{}, want: []Effect{EffectDelete, EffectDelete, EffectDelete, EffectDelete}, unobserved: true},
		"all present": {world: World{Refreshed: true, Files: files, Secrets: map[string]string{"team-a/web-tls": "s"},
			CSRs: map[string]CSRObservation{"web-1": {}}}, want: []Effect{EffectDelete, EffectDelete, EffectDelete, EffectDelete}},
		"edited key, adopted Secret, CSR collected": {world: World{Refreshed: true,
			Files:   map[string]FileObservation{"out/web.key": {Exists: true, SHA256: "edited"}, "out/web.crt": {Exists: true, SHA256: "c1"}},
			Secrets: map[string]string{"team-a/web-tls": "s"}, AdoptedSecrets: map[string]bool{"team-a/web-tls": true}},
			want: []Effect{EffectKeep, EffectDelete, EffectRelease, EffectGone}},
		"files and Secret gone": {world: World{Refreshed: true, Files: map[string]FileObservation{}, Secrets: map[string]string{},
			CSRs: map[string]CSRObservation{"web-1": {}}}, want: []Effect{EffectGone, EffectGone, EffectGone, EffectDelete}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := removals(rec, tc.world)
			want := []Removal{
				{Kind: RemoveFile, Name: "out/web.key", Role: state.RoleKey, Effect: tc.want[0]},
				{Kind: RemoveFile, Name: "out/web.crt", Role: state.RoleCert, Effect: tc.want[1]},
				{Kind: RemoveSecret, Name: "team-a/web-tls", Effect: tc.want[2]},
				{Kind: RemoveCSR, Name: "web-1", Effect: tc.want[3]},
			}
			for i := range want {
				want[i].Unobserved = tc.unobserved
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("removals (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSavedPlanKeepsAttributes: show PLANFILE renders what plan did: the
// planned attributes and the removals survive plan --out, and Bind gives
// back the recorded ones. A file whose attributes differ from the
// configuration is stale.
func TestSavedPlanKeepsAttributes(t *testing.T) {
	cfg := loadAttrsConfig(t)
	prior := state.New()
	prior.Certificates["certificate.old"] = &state.Certificate{Addr: "certificate.old", Status: state.StatusIssued, CSRName: "old-1",
		Files: map[string]state.File{"old.key": {Role: state.RoleKey, SHA256: "k", Mode: 0o600}}}
	p := Make(cfg, prior, World{}, time.Unix(0, 0), Options{})
	data, err := EncodeFile(Saved{Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	saved, err := DecodeFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := saved.Bind(prior); err != nil {
		t.Fatal(err)
	}
	for i, ch := range saved.Plan.Changes {
		orig := p.Changes[i]
		if diff := cmp.Diff([]any{orig.BeforeAttrs, orig.AfterAttrs, orig.Removes}, []any{ch.BeforeAttrs, ch.AfterAttrs, ch.Removes}); diff != "" {
			t.Errorf("%s after a round trip (-want +got):\n%s", ch.Addr, diff)
		}
	}
	if err := saved.Check(cfg); err != nil {
		t.Fatalf("check: %v", err)
	}
	saved.Plan.Changes[1].AfterAttrs.Secret.Namespace = "kube-system"
	if err := saved.Check(cfg); err == nil {
		t.Error("a saved plan showing another Secret than the configuration's must be stale")
	}
}
