package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/statefile"
)

// TestModulesTwoTeams applies examples/modules, where one local module
// called with for_each gives two teams a certificate each, against the
// real signer: module addresses reach state, the Secrets' address
// annotations and the CSR names; a second plan is clean; certform output
// hands the next CI step the Secrets, paths and expiry dates without the
// var files or a cluster; --target and --replace take module addresses.
func TestModulesTwoTeams(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "team-a", "team-b")
	dir := copyDir(t, "../../examples/modules")
	teamA, teamB := `module.team["team-a"].certificate.tls`, `module.team["team-b"].certificate.tls`

	r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode", "--var", "self_approve=true")
	if r.code != exitChanges {
		t.Fatalf("first plan: want exit 2\n%s", r)
	}
	mustContain(t, r, "+ "+teamA, "+ "+teamB, "Plan: 2 to issue")
	r = certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--var", "self_approve=true")
	if r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	mustContain(t, r, "Outputs:", `team_a_cert_file = "out/team-a/web.crt"`, `team-b = "team-b/api-tls"`)
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode", "--var", "self_approve=true"); r.code != exitOK {
		t.Fatalf("second plan: want exit 0 (no changes)\n%s", r)
	}

	st, err := statefile.Decode(mustRead(t, filepath.Join(dir, "certform.state.json")))
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Addrs(); !cmp.Equal(got, []string{teamA, teamB}) {
		t.Fatalf("state addresses %q", got)
	}
	secrets := clientsetFor(t, c.AdminKubeconfig).CoreV1()
	sec, err := secrets.Secrets("team-a").Get(context.Background(), "web-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := sec.Annotations[kube.AnnotationAddr]; got != teamA {
		t.Errorf("Secret team-a/web-tls has address annotation %q, want %q", got, teamA)
	}
	cert, err := pki.ParseCertificatesPEM(sec.Data["tls.crt"])
	if err != nil {
		t.Fatal(err)
	}
	if rec := st.Certificates[teamA]; !strings.HasPrefix(rec.CSRName, "team-team-a.tls-") {
		t.Errorf("CSR name %q does not say which module instance it is for", rec.CSRName)
	}
	assertNoKeyMaterial(t, filepath.Join(dir, "certform.state.json"), sec.Data["tls.key"])

	// The next CI step: no --var, no kubeconfig (the local backend needs
	// no cluster).
	r = certform(t, dir, "/nonexistent/kubeconfig", "output", "--json")
	if r.code != exitOK {
		t.Fatalf("output --json\n%s", r)
	}
	var outs map[string]struct {
		Sensitive bool            `json:"sensitive"`
		Value     json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &outs); err != nil {
		t.Fatalf("output --json is not JSON: %v\n%s", err, r)
	}
	wantValues := map[string]string{
		"secrets":          `{"team-a":"team-a/web-tls","team-b":"team-b/api-tls"}`,
		"team_a_cert_file": `"out/team-a/web.crt"`,
	}
	for name, want := range wantValues {
		if got := compactJSON(t, outs[name].Value); got != want {
			t.Errorf("output %s = %s, want %s", name, got, want)
		}
	}
	var notAfter map[string]time.Time
	if err := json.Unmarshal(outs["not_after"].Value, &notAfter); err != nil {
		t.Fatalf("not_after: %v", err)
	}
	if !notAfter["team-a"].Equal(cert[0].NotAfter) || notAfter["team-b"].IsZero() {
		t.Errorf("not_after = %v, want team-a's %v", notAfter, cert[0].NotAfter)
	}
	if r := certform(t, dir, "/nonexistent/kubeconfig", "output", "team_a_cert_file", "--raw"); r.code != exitOK || r.stdout != "out/team-a/web.crt" {
		t.Errorf("output --raw\n%s", r)
	}
	if r := certform(t, dir, "/nonexistent/kubeconfig", "output", "secret"); r.code != exitError || !strings.Contains(r.stderr, "did you mean secrets?") {
		t.Errorf("output of an unknown name\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "out/team-b/api-key.pem")); err != nil {
		t.Errorf("team-b's key file: %v", err)
	}

	// Module addresses on the command line.
	r = certform(t, dir, c.AdminKubeconfig, "plan", "--var", "self_approve=true", "--target", `module.team["team-a"]`, "--replace", teamA)
	if r.code != exitOK {
		t.Fatalf("plan --target module --replace\n%s", r)
	}
	mustContain(t, r, "-/+ "+teamA, "Plan: 0 to issue, 0 to renew, 1 to replace")
	if strings.Contains(r.stdout, teamB) {
		t.Errorf("--target module.team[\"team-a\"] planned team-b\n%s", r)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "state", "show", teamB, "--var", "self_approve=true"); r.code != exitOK || !strings.Contains(r.stdout, "api.team-b") {
		t.Errorf("state show of a module address\n%s", r)
	}
	r = certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--json", "--var", "self_approve=true")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var last struct {
		Type    string `json:"type"`
		Outputs map[string]struct {
			Value json.RawMessage `json:"value"`
		} `json:"outputs"`
	}
	if r.code != exitOK || json.Unmarshal([]byte(lines[len(lines)-1]), &last) != nil || last.Type != "outputs" ||
		compactJSON(t, last.Outputs["team_a_cert_file"].Value) != `"out/team-a/web.crt"` {
		t.Errorf("apply --json does not end with the outputs event\n%s", r)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "show", "--var", "self_approve=true"); r.code != exitOK || !strings.Contains(r.stdout, "Outputs:\n\nnot_after = {") {
		t.Errorf("show lacks the outputs\n%s", r)
	}
}

func compactJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// TestOutputCommand: certform output reads state only, so a configuration
// whose variables have no value (the var file stayed with the apply job)
// still gives its outputs; listing hides sensitive values, naming one
// shows it, --raw refuses what is not a scalar, and no outputs is a
// warning, not an error.
func TestOutputCommand(t *testing.T) {
	dir := writeConfig(t, `
variable "namespace" {
  type = string
}
certificate "web" {
  common_name = "web.${var.namespace}"
  signer_name = "example.com/serving"
  secret {
    namespace = var.namespace
    name      = "web-tls"
  }
}
output "secret" {
  value = certificate.web.secret_name
}
`)
	none := certform(t, dir, "", "output")
	if none.code != exitOK || !strings.Contains(none.stderr, "no outputs are recorded") {
		t.Fatalf("output without a state\n%s", none)
	}
	st := state.New()
	st.Outputs = map[string]state.Output{
		"secret": {Value: json.RawMessage(`"web-tls"`), Type: json.RawMessage(`"string"`)},
		"hosts":  {Value: json.RawMessage(`["a","b"]`), Type: json.RawMessage(`["list","string"]`)},
		"token":  {Value: json.RawMessage(`"s3cr3t"`), Type: json.RawMessage(`"string"`), Sensitive: true},
	}
	data, err := statefile.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "certform.state.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		args     []string
		code     int
		stdout   string // all of it, unless contains
		contains bool
		stderr   string
	}{
		"all":            {args: []string{"output"}, stdout: "hosts = [\"a\", \"b\"]\nsecret = \"web-tls\"\ntoken = <sensitive>\n"},
		"one":            {args: []string{"output", "hosts"}, stdout: "[\"a\", \"b\"]\n"},
		"sensitive":      {args: []string{"output", "token"}, stdout: "\"s3cr3t\"\n"},
		"raw":            {args: []string{"output", "secret", "--raw"}, stdout: "web-tls"},
		"one json":       {args: []string{"output", "hosts", "--json"}, stdout: "[\n  \"a\",\n  \"b\"\n]\n"},
		"raw list":       {args: []string{"output", "hosts", "--raw"}, code: exitError, stderr: "--raw prints only strings, numbers and bools"},
		"raw all":        {args: []string{"output", "--raw"}, code: exitError, stderr: "--raw prints one output's value"},
		"unknown":        {args: []string{"output", "secrets"}, code: exitError, stderr: "did you mean secret?"},
		"two names":      {args: []string{"output", "a", "b"}, code: exitError, stderr: "at most one argument"},
		"json sensitive": {args: []string{"output", "--json"}, stdout: `"value": "s3cr3t"`, contains: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := certform(t, dir, "", tc.args...)
			stdoutOK := r.stdout == tc.stdout || tc.contains && strings.Contains(r.stdout, tc.stdout)
			if r.code != tc.code || !stdoutOK || !strings.Contains(r.stderr, tc.stderr) {
				t.Fatalf("want exit %d, stdout %q, stderr %q\n%s", tc.code, tc.stdout, tc.stderr, r)
			}
		})
	}
}
