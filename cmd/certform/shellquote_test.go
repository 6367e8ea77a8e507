package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSavedPlanHintKeepsChdir: the command plan --out suggests applies
// the plan from where the user is, with the --chdir it was made with.
func TestSavedPlanHintKeepsChdir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my config")
	writeConfigIn(t, dir, clientCert("saved", false))
	r := certform(t, dir, "", "plan", "--refresh=false", "--out", "tfplan")
	if r.code != exitOK {
		t.Fatalf("plan --out\n%s", r)
	}
	mustContain(t, r, "Apply exactly it with: certform --chdir '"+dir+"' apply tfplan\n")
}

func TestApplySavedCommand(t *testing.T) {
	cases := map[string]struct {
		chdir, path, want string
	}{
		"here":         {"", "tfplan", "certform apply tfplan"},
		"chdir":        {"envs/prod", "tfplan", "certform --chdir envs/prod apply tfplan"},
		"spaces":       {"my envs/prod", "the plan", "certform --chdir 'my envs/prod' apply 'the plan'"},
		"single quote": {"bob's", "p", `certform --chdir 'bob'\''s' apply p`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := applySavedCommand(tc.chdir, tc.path); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// writeConfigIn writes one configuration file into dir, creating it.
func writeConfigIn(t *testing.T, dir, hcl string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestShellUnquote: the words completion scripts pass, as typed, read as
// the shell would read them.
func TestShellUnquote(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"plain":              {"certificate.web", "certificate.web"},
		"escaped":            {`certificate.web\[\"a\"\]`, `certificate.web["a"]`},
		"single-quoted":      {`'certificate.web["a"]'`, `certificate.web["a"]`},
		"open single quote":  {`'certificate.w`, `certificate.w`},
		"double-quoted":      {`"certificate.web[\"a\"]"`, `certificate.web["a"]`},
		"open double quote":  {`"certificate.web[\"`, `certificate.web["`},
		"backslash in \"\"":  {`"a\b"`, `a\b`},
		"backslash in ''":    {`'a\b'`, `a\b`},
		"trailing backslash": {`a\`, `a`},
		"space escaped":      {`my\ dir`, `my dir`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := shellUnquote(tc.in); got != tc.want {
				t.Errorf("shellUnquote(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}
