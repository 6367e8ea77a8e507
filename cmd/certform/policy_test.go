package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// envOPA names the opa binary for the policy-as-code test; make test sets
// it from hack/build-opa.sh. Unset, the test runs that script itself,
// which builds opa from Go modules once and caches it, as the cluster
// binaries are: the test fails, never skips, when opa cannot be had.
const envOPA = "CERTFORM_OPA"

// opaBinary returns the path of a real opa command.
func opaBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv(envOPA); bin != "" {
		if st, err := os.Stat(bin); err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			t.Fatalf("%s=%s is not an executable opa binary (%v)\nhint: run make test, or set %s=$(./hack/build-opa.sh)", envOPA, bin, err, envOPA)
		}
		return bin
	}
	cmd := exec.Command(filepath.Join("..", "..", "hack", "build-opa.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("building opa with hack/build-opa.sh: %v\nhint: run make test, or set %s to an opa binary", err, envOPA)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// policyCert is a certificate whose key goes to a file and to a Secret in
// namespace.
func policyCert(name, namespace string) string {
	return `
certificate "` + name + `" {
  common_name  = "` + name + `"
  signer_name  = "kubernetes.io/kube-apiserver-client"
  usages       = ["digital signature", "client auth"]
  output {
    key_file  = "` + name + `.key"
    cert_file = "` + name + `.crt"
  }
  secret {
    namespace = "` + namespace + `"
    name      = "` + name + `-tls"
  }
}
`
}

// TestPolicyOverPlanJSON runs a real Open Policy Agent with the shipped
// Rego rule (examples/policy/secret-namespaces.rego: private keys only in
// Secrets of team-a and team-b) over a real plan --json, and checks that
// it fires on a plan that writes a key elsewhere and on no other.
func TestPolicyOverPlanJSON(t *testing.T) {
	opa := opaBinary(t)
	c := sharedCluster(t)
	policy, err := filepath.Abs(filepath.Join("..", "..", "examples", "policy", "secret-namespaces.rego"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		config string
		want   []string
	}{
		"key in a Secret of an allowed namespace": {config: policyCert("pol-ok", "team-a")},
		"key in files only":                       {config: clientCert("pol-files", false)},
		"key in a Secret outside the allowed namespaces": {
			config: policyCert("pol-ok", "team-a") + policyCert("pol-bad", "kube-system"),
			want: []string{`certificate.pol-bad: the private key would be written to Secret kube-system/pol-bad-tls; ` +
				`private keys may only be written to Secrets in ["team-a", "team-b"]`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := writeConfig(t, tc.config)
			r := certform(t, dir, c.AdminKubeconfig, "plan", "--json", "--detailed-exitcode")
			if r.code != exitChanges {
				t.Fatalf("plan --json: want exit %d (changes)\n%s", exitChanges, r)
			}
			input := filepath.Join(dir, "plan.json")
			if err := os.WriteFile(input, []byte(r.stdout), 0o600); err != nil {
				t.Fatal(err)
			}
			got := opaDeny(t, opa, policy, input)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("deny messages (-want +got):\n%s", diff)
			}
		})
	}
}

// opaDeny evaluates data.certform.policy.deny with opa eval and returns
// its messages (nil when none).
func opaDeny(t *testing.T, opa, policy, input string) []string {
	t.Helper()
	cmd := exec.Command(opa, "eval", "--format", "json", "--data", policy, "--input", input, "data.certform.policy.deny")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if exit, ok := err.(*exec.ExitError); ok {
			stderr = exit.Stderr
		}
		t.Fatalf("opa eval: %v\n%s%s", err, out, stderr)
	}
	var res struct {
		Result []struct {
			Expressions []struct {
				Value []string `json:"value"`
			} `json:"expressions"`
		} `json:"result"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("opa eval output: %v\n%s", err, out)
	}
	if len(res.Result) != 1 || len(res.Result[0].Expressions) != 1 {
		t.Fatalf("opa eval: want one result with one expression, got\n%s", out)
	}
	v := res.Result[0].Expressions[0].Value
	if len(v) == 0 {
		return nil
	}
	return v
}
