package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// refactorBase is a configuration the refactoring cases add blocks to.
const refactorBase = `
certificate "web" {
  common_name = "web.example"
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "web-tls"
  }
}
`

// TestRefactorDiagnostics loads moved, removed and import blocks and
// compares the diagnostics (line:severity:summary, lines counted in the
// case's own source after refactorBase's 9 lines).
func TestRefactorDiagnostics(t *testing.T) {
	cases := map[string]struct {
		src  string
		want []string
	}{
		"moved block":                 {src: "moved {\n  from = certificate.old\n  to = certificate.web\n}"},
		"moved instance to block":     {src: "moved {\n  from = certificate.pod[\"a\"]\n  to = certificate.web\n}"},
		"moved through a module":      {src: "moved {\n  from = module.team[\"a\"].certificate.tls\n  to = certificate.web\n}"},
		"removed forget":              {src: "removed {\n  from = certificate.gone\n  lifecycle { destroy = false }\n}"},
		"removed destroy":             {src: "removed {\n  from = certificate.gone[\"x\"]\n  lifecycle { destroy = true }\n}"},
		"import from files":           {src: "import {\n  to = certificate.web\n  key_file = \"a.key\"\n  cert_file = \"a.crt\"\n}"},
		"import from secret":          {src: "import {\n  to = certificate.web\n  secret {\n    namespace = \"default\"\n    name = \"old\"\n  }\n}"},
		"moved from a string":         {src: "moved {\n  from = \"certificate.a\"\n  to = certificate.web\n}", want: []string{"11:ERROR:Invalid address"}},
		"moved from a number":         {src: "moved {\n  from = 5\n  to = certificate.web\n}", want: []string{"11:ERROR:Invalid address"}},
		"moved unknown kind":          {src: "moved {\n  from = secret.a\n  to = certificate.web\n}", want: []string{"11:ERROR:Invalid address"}},
		"moved numeric key":           {src: "moved {\n  from = certificate.a[0]\n  to = certificate.web\n}", want: []string{"11:ERROR:Invalid address"}},
		"moved too long":              {src: "moved {\n  from = certificate.a.b\n  to = certificate.web\n}", want: []string{"11:ERROR:Invalid address"}},
		"moved module to certificate": {src: "moved {\n  from = module.a\n  to = certificate.web\n}", want: []string{"12:ERROR:Move to another kind of block"}},
		"moved module":                {src: "moved {\n  from = module.a\n  to = module.b\n}"},
		"moved module instance":       {src: "moved {\n  from = module.a[\"x\"]\n  to = module.b\n}"},
		"moved nested module":         {src: "moved {\n  from = module.a.module.inner\n  to = module.b.module.inner\n}"},
		"removed module":              {src: "removed {\n  from = module.a\n  lifecycle { destroy = false }\n}", want: []string{"11:ERROR:Invalid address"}},
		"moved module and its certificate": {
			src:  "moved {\n  from = module.a\n  to = module.b\n}\nmoved {\n  from = module.a[\"x\"].certificate.tls\n  to = certificate.web\n}",
			want: []string{"15:ERROR:Ambiguous move"},
		},
		"moved missing to":              {src: "moved {\n  from = certificate.a\n}", want: []string{"10:ERROR:Missing required argument"}},
		"moved to itself":               {src: "moved {\n  from = certificate.web\n  to = certificate.web\n}", want: []string{"12:ERROR:Move to the same address"}},
		"moved across kinds":            {src: "moved {\n  from = ca_bundle.a\n  to = certificate.web\n}", want: []string{"12:ERROR:Move to another kind of block"}},
		"moved bundle":                  {src: "moved {\n  from = ca_bundle.a\n  to = ca_bundle.b\n}", want: []string{"11:ERROR:Cannot move this address"}},
		"moved block into own instance": {src: "moved {\n  from = certificate.web\n  to = certificate.web[\"a\"]\n}", want: []string{"12:ERROR:Move between a block and its own instance"}},
		"moved twice from": {
			src:  "moved {\n  from = certificate.a\n  to = certificate.web\n}\nmoved {\n  from = certificate.a[\"x\"]\n  to = certificate.b\n}",
			want: []string{"15:ERROR:Ambiguous move"},
		},
		"moved twice to": {
			src:  "moved {\n  from = certificate.a\n  to = certificate.web\n}\nmoved {\n  from = certificate.b\n  to = certificate.web\n}",
			want: []string{"16:ERROR:Ambiguous move"},
		},
		"moved chain": {
			src:  "moved {\n  from = certificate.a\n  to = certificate.b\n}\nmoved {\n  from = certificate.b\n  to = certificate.web\n}",
			want: []string{"12:ERROR:Chained moved blocks"},
		},
		"moved cycle": {
			src:  "moved {\n  from = certificate.a\n  to = certificate.b\n}\nmoved {\n  from = certificate.b\n  to = certificate.a\n}",
			want: []string{"12:ERROR:Cycle in moved blocks"},
		},
		"removed without lifecycle": {src: "removed {\n  from = certificate.gone\n}", want: []string{"10:ERROR:Missing lifecycle block"}},
		"removed bundle":            {src: "removed {\n  from = ca_bundle.x\n  lifecycle { destroy = false }\n}", want: []string{"11:ERROR:Cannot remove this address"}},
		"removed and moved": {
			src:  "moved {\n  from = certificate.a\n  to = certificate.web\n}\nremoved {\n  from = certificate.a\n  lifecycle { destroy = false }\n}",
			want: []string{"15:ERROR:Address both moved and removed"},
		},
		"import without source": {src: "import {\n  to = certificate.web\n}", want: []string{"10:ERROR:Invalid import source"}},
		"import key only":       {src: "import {\n  to = certificate.web\n  key_file = \"a.key\"\n}", want: []string{"10:ERROR:Invalid import source"}},
		"import both sources": {
			src:  "import {\n  to = certificate.web\n  key_file = \"a.key\"\n  cert_file = \"a.crt\"\n  secret {\n    namespace = \"a\"\n    name = \"b\"\n  }\n}",
			want: []string{"10:ERROR:Invalid import source"},
		},
		"import twice": {
			src:  "import {\n  to = certificate.web\n  key_file = \"a.key\"\n  cert_file = \"a.crt\"\n}\nimport {\n  to = certificate.web\n  key_file = \"b.key\"\n  cert_file = \"b.crt\"\n}",
			want: []string{"16:ERROR:Duplicate import block"},
		},
		"import moved target": {
			src:  "moved {\n  from = certificate.a\n  to = certificate.web\n}\nimport {\n  to = certificate.web\n  key_file = \"a.key\"\n  cert_file = \"a.crt\"\n}",
			want: []string{"15:ERROR:Address both moved to and imported"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			src := []byte(refactorBase + tc.src + "\n")
			cfg, diags := LoadSource(src, "main.hcl", "testdata", Inputs{})
			if diff := cmp.Diff(tc.want, actualDiags(t, diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, diags)
			}
			if len(tc.want) == 0 && len(cfg.Moved)+len(cfg.Removed)+len(cfg.Imports) != 1 {
				t.Errorf("decoded %d moved, %d removed, %d import blocks; want one", len(cfg.Moved), len(cfg.Removed), len(cfg.Imports))
			}
		})
	}
}

// TestRefactorAddresses checks how references are spelled as addresses.
func TestRefactorAddresses(t *testing.T) {
	src := refactorBase + `
moved {
  from = module.team["a"].certificate.pod["x"]
  to   = certificate.web
}
`
	cfg, diags := LoadSource([]byte(src), "main.hcl", "testdata", Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	m := cfg.Moved[0]
	got := []any{m.From.Addr, m.From.Block, m.From.HasKey, m.To.Addr, m.To.Block, m.To.HasKey}
	want := []any{`module.team["a"].certificate.pod["x"]`, `module.team["a"].certificate.pod`, true, "certificate.web", "certificate.web", false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}
}
