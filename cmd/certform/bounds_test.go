package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certform/certform/apply"
	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state/backend/local"
)

// unreachableKubeconfig is a kubeconfig for a server that refuses
// connections: enough for commands that must fail before they call it.
func unreachableKubeconfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	const kc = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: "t"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func noPanic(t *testing.T, r result) {
	t.Helper()
	for _, bad := range []string{"panic:", "fatal error:", "goroutine "} {
		if strings.Contains(r.stdout+r.stderr, bad) {
			t.Fatalf("certform crashed (%q)\n%s", bad, r)
		}
	}
}

// TestShowStalePlan shows a saved plan whose state record is gone: it was
// a nil dereference in renderDiff; now a warning and the plan.
func TestShowStalePlan(t *testing.T) {
	dir := writeConfig(t, clientCert("web", false))
	cfg, _, diags := config.Load(dir, config.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	after := plan.RequestOf(cfg.Certificates[0])
	data, err := plan.EncodeFile(plan.Saved{Plan: &plan.Plan{Lineage: "gone", Serial: 7, Changes: []*plan.Change{
		{Addr: "certificate.web", Action: plan.Renew, After: &after, Reasons: []string{"expires soon"}},
	}}, ConfigDigest: config.Digest(cfg)})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "tfplan"), data, 0o600)
	r := certform(t, dir, "", "show", "tfplan")
	noPanic(t, r)
	if r.code != exitOK {
		t.Fatalf("show of a stale plan\n%s", r)
	}
	mustContain(t, r, "warning: saved plan is stale", "# certificate.web will be renewed", `+ common_name          = "web"`)
}

// TestSavedPlanValidatedBeforeActing tampers with a saved plan in the ways
// that panicked mid-apply (an address the configuration lacks, a create
// without its request) or would record what was not asked for: apply
// refuses the whole plan before it writes state, a key or a CSR.
func TestSavedPlanValidatedBeforeActing(t *testing.T) {
	kc := unreachableKubeconfig(t)
	tests := map[string]struct {
		tamper  func(changes []map[string]any) []map[string]any
		wantErr string
	}{
		"unknown address": {tamper: func(ch []map[string]any) []map[string]any {
			extra := map[string]any{"address": "certificate.zzz", "action": "create", "after": ch[0]["after"]}
			return append(ch, extra)
		}, wantErr: "saved plan is stale: it would create certificate.zzz, which is not in the configuration"},
		"create without after": {tamper: func(ch []map[string]any) []map[string]any {
			delete(ch[0], "after")
			return ch
		}, wantErr: "plan file has a create of certificate.web without the request it asks for"},
		"malformed address": {tamper: func(ch []map[string]any) []map[string]any {
			ch[0]["address"] = "certificate.web[0]"
			return ch
		}, wantErr: `plan file has a change for "certificate.web[0]", which is not a certificate address`},
		"other request": {tamper: func(ch []map[string]any) []map[string]any {
			ch[0]["after"].(map[string]any)["hosts"] = []string{"evil.example"}
			return ch
		}, wantErr: "its request for certificate.web differs from the configuration"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := writeConfig(t, clientCert("web", false))
			if r := certform(t, dir, kc, "plan", "--refresh=false", "--out", "tfplan"); r.code != exitOK {
				t.Fatalf("plan --out\n%s", r)
			}
			path := filepath.Join(dir, "tfplan")
			var f map[string]any
			data, _ := os.ReadFile(path)
			if err := json.Unmarshal(data, &f); err != nil {
				t.Fatal(err)
			}
			var changes []map[string]any
			for _, c := range f["changes"].([]any) {
				changes = append(changes, c.(map[string]any))
			}
			f["changes"] = tc.tamper(changes)
			data, _ = json.Marshal(f)
			os.WriteFile(path, data, 0o600)

			r := certform(t, dir, kc, "apply", "tfplan")
			noPanic(t, r)
			if r.code != exitError {
				t.Fatalf("apply of a tampered plan: want exit 1\n%s", r)
			}
			mustContain(t, r, tc.wantErr, "certform: hint: make a new plan")
			if _, err := os.Stat(filepath.Join(dir, local.DefaultPath)); err == nil {
				t.Errorf("apply of a tampered plan wrote state")
			}
			if _, err := os.Stat(filepath.Join(dir, ".certform/pending-keys")); err == nil {
				t.Errorf("apply of a tampered plan kept a key")
			}
		})
	}
}

// TestApplyFlagBounds: --parallelism 3074457345618258603 was a makechan
// panic; --wait-timeout -1s and 0 silently meant 15m.
func TestApplyFlagBounds(t *testing.T) {
	kc := unreachableKubeconfig(t)
	tests := map[string]struct {
		args []string
		want []string
	}{
		"huge parallelism":   {args: []string{"--parallelism", "3074457345618258603"}, want: []string{"--parallelism must be between 1 and 1000, got 3074457345618258603"}},
		"zero parallelism":   {args: []string{"--parallelism", "0"}, want: []string{"--parallelism must be between 1 and 1000, got 0"}},
		"negative timeout":   {args: []string{"--wait-timeout", "-1s"}, want: []string{"--wait-timeout must be more than 0, got -1s", "pass --no-wait"}},
		"zero timeout":       {args: []string{"--wait-timeout", "0"}, want: []string{"--wait-timeout must be more than 0, got 0s", "pass --no-wait"}},
		"timeout over a day": {args: []string{"--wait-timeout", "25h"}, want: []string{"--wait-timeout must be at most 24h0m0s", "deletes a CSR still pending after 24h"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := writeConfig(t, clientCert("web", false))
			// --no-wait: were a flag accepted, the run fails at once at
			// the unreachable server rather than retrying a watch.
			r := certform(t, dir, kc, append([]string{"apply", "--auto-approve", "--refresh=false", "--no-wait"}, tc.args...)...)
			noPanic(t, r)
			if r.code != exitError {
				t.Fatalf("want exit 1\n%s", r)
			}
			mustContain(t, r, tc.want...)
			if _, err := os.Stat(filepath.Join(dir, local.DefaultPath)); err == nil {
				t.Errorf("a refused flag still wrote state")
			}
		})
	}
}

// TestDeepNestingEveryCommand: 70,000 nested parentheses (140 KB) was a
// fatal stack overflow in every command that parses configuration.
func TestDeepNestingEveryCommand(t *testing.T) {
	dir := writeConfig(t, clientCert("web", false)+"\nlocals {\n  deep = "+strings.Repeat("(", 70000)+"1"+strings.Repeat(")", 70000)+"\n}\n")
	kc := unreachableKubeconfig(t)
	for _, args := range [][]string{
		{"validate"}, {"validate", "--json"}, {"plan", "--refresh=false"}, {"apply", "--auto-approve", "--refresh=false"},
		{"destroy", "--auto-approve"}, {"status"}, {"show"}, {"state", "list"}, {"fmt", "--check"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := certform(t, dir, kc, args...)
			noPanic(t, r)
			if r.code != exitError {
				t.Fatalf("want exit 1\n%s", r)
			}
			mustContain(t, r, "nested too deeply")
		})
	}
}

// TestVarFileBounded: --var-file /dev/zero grew to 23 GB; a device is
// refused before a byte is read, and a file over the limit is refused.
func TestVarFileBounded(t *testing.T) {
	dir := writeConfig(t, clientCert("web", false))
	big := filepath.Join(t.TempDir(), "big.hcl")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(17 << 20) // sparse
	f.Close()
	tests := map[string]struct {
		file string
		want string
	}{
		"device":    {file: "/dev/zero", want: "/dev/zero is a device, not a file"},
		"too big":   {file: big, want: "more than the limit of 16 MiB"},
		"directory": {file: dir, want: "is a directory, not a file"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := certform(t, dir, "", "validate", "--var-file", tc.file)
			if r.code != exitError {
				t.Fatalf("want exit 1\n%s", r)
			}
			mustContain(t, r, "Cannot read file", tc.want)
		})
	}
}

// TestGarbageDiagnosticsBounded: a file of garbage makes thousands of
// errors, which took time quadratic in its size to render; the first 20
// are shown and the rest counted.
func TestGarbageDiagnosticsBounded(t *testing.T) {
	dir := writeConfig(t, strings.Repeat("a = = ]\n", 20<<10/8))
	r := certform(t, dir, "", "validate")
	if r.code != exitError {
		t.Fatalf("want exit 1\n%s", r)
	}
	if n := strings.Count(r.stderr, "Error: "); n != views.MaxDiagnostics {
		t.Errorf("rendered %d errors, want %d", n, views.MaxDiagnostics)
	}
	mustContain(t, r, "more errors not shown; certform validate --json lists them all")
}

// TestTargetReplaceAddressesChecked: --replace and --target with a typo or
// a malformed address were ignored with exit 0 (an emergency rotation that
// rotated nothing); --replace of a for_each block did nothing.
func TestTargetReplaceAddressesChecked(t *testing.T) {
	dir := writeConfig(t, clientCert("web", false)+`
certificate "pod" {
  for_each    = toset(["a", "b"])
  common_name = "pod-${each.key}"
  signer_name = "example.com/s"
  output {
    key_file  = "pod-${each.key}.key"
    cert_file = "pod-${each.key}.crt"
  }
}
`)
	kc := unreachableKubeconfig(t)
	tests := map[string]struct {
		args []string
		want []string
	}{
		"replace typo":      {args: []string{"plan", "--replace", "certificate.wbe"}, want: []string{"--replace certificate.wbe: no certificate in the configuration has this address; did you mean certificate.web?"}},
		"target typo":       {args: []string{"plan", "--target", "certificate.po"}, want: []string{"did you mean certificate.pod?"}},
		"replace malformed": {args: []string{"plan", "--replace", "certificate.pod[a]"}, want: []string{"malformed address", "quote an instance key for the shell"}},
		"replace block":     {args: []string{"plan", "--replace", "certificate.pod"}, want: []string{`names a block with for_each; name each instance to replace: certificate.pod["a"], certificate.pod["b"]`}},
		"apply with typo":   {args: []string{"apply", "--auto-approve", "--replace", "certificate.wbe"}, want: []string{"did you mean certificate.web?"}},
		"destroy with typo": {args: []string{"destroy", "--auto-approve", "--target", "certificate.wbe"}, want: []string{"did you mean certificate.web?"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := certform(t, dir, kc, append(tc.args, "--refresh=false")...)
			if r.code != exitError {
				t.Fatalf("want exit 1\n%s", r)
			}
			mustContain(t, r, tc.want...)
		})
	}
	if r := certform(t, dir, kc, "plan", "--refresh=false", "--target", "certificate.pod", "--detailed-exitcode"); r.code != exitChanges {
		t.Errorf("--target of a block address\n%s", r)
	}
}

// TestApplyFailureReportedOnce: an address's failure is printed as it
// happens and only counted at the end (it was printed twice).
func TestApplyFailureReportedOnce(t *testing.T) {
	dir := writeConfig(t, clientCert("web", true))
	// --no-wait: one List, refused at once (the watch would retry).
	r := certform(t, dir, unreachableKubeconfig(t), "apply", "--auto-approve", "--refresh=false", "--no-wait")
	if r.code != exitError {
		t.Fatalf("want exit 1\n%s", r)
	}
	if n := strings.Count(r.stdout+r.stderr, "creating CSR web-"); n != 1 {
		t.Errorf("the failure is shown %d times, want once\n%s", n, r)
	}
	mustContain(t, r, "certificate.web: failed:", "certform: error: 1 certificate failed (reported above): certificate.web")
}

// TestApplyResultHints: the closing hint is true for what happened: it
// never says what finished is in state when the state write failed, and a
// rejected certificate points at --replace.
func TestApplyResultHints(t *testing.T) {
	rejected := &apply.AddrError{Addr: "certificate.web", Err: &apply.RejectedError{CSRName: "web-1", Err: errors.New("issued certificate rejected: wrong key")}}
	tests := map[string]struct {
		interrupted bool
		err, perr   error
		want        []string
		wantNot     []string
	}{
		"state write failed": {err: nil, perr: errors.New("writing state: no space left on device"),
			want: []string{"Apply failed.", "no space left on device", "the state could not be written"}, wantNot: []string{"what finished is in state"}},
		"interrupted and state write failed": {interrupted: true, perr: errors.New("writing state: no space left on device"),
			want: []string{"Apply interrupted.", "the state could not be written"}, wantNot: []string{"what finished is in state"}},
		"interrupted": {interrupted: true, err: errors.Join(&apply.AddrError{Addr: "certificate.a", Err: errors.New("context canceled")}),
			want: []string{"Apply interrupted.", "interrupted; what finished is in state", "hint: run certform apply again"}, wantNot: []string{"context canceled"}},
		"rejected": {err: errors.Join(rejected),
			want: []string{"1 certificate failed (reported above): certificate.web", "certform apply --replace certificate.web"}, wantNot: []string{"wrong key"}},
		"failed": {err: errors.Join(&apply.AddrError{Addr: "certificate.a", Err: errors.New("boom")}, errors.New("CA bundles were not published")),
			want: []string{"CA bundles were not published", "1 certificate failed (reported above): certificate.a", "what finished is in state"}, wantNot: []string{"boom"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			view := &views.HumanApply{ApplyProgress: views.ApplyProgress{W: &out}}
			code, err := applyResult("apply", tc.interrupted, tc.err, tc.perr, view, 0, 0, time.Second)
			if code != exitError {
				t.Fatalf("code %d", code)
			}
			report(&errOut, err)
			all := out.String() + errOut.String()
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(all, w) {
					t.Errorf("output has %q:\n%s", w, all)
				}
			}
		})
	}
}
