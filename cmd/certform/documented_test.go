package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Tests of documented behaviour that had none (issue 20): each names the
// document that promises it.

// twoContextKubeconfig writes a kubeconfig with the contexts "admin" and
// "restricted" (may create CSRs, not approve them), "restricted" current.
func twoContextKubeconfig(t *testing.T) string {
	c := sharedCluster(t)
	out := clientcmdapi.NewConfig()
	for name, path := range map[string]string{"admin": c.AdminKubeconfig, "restricted": c.RestrictedKubeconfig} {
		cfg, err := clientcmd.LoadFromFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cur := cfg.Contexts[cfg.CurrentContext]
		out.Clusters[name] = cfg.Clusters[cur.Cluster]
		out.AuthInfos[name] = cfg.AuthInfos[cur.AuthInfo]
		out.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	}
	out.CurrentContext = "restricted"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*out, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestContextFlag: --context picks the kubeconfig context, over the
// file's current context and over the kubernetes block's context
// (docs/commands.md: "the flags over the configuration's kubernetes
// block"); a context the kubeconfig lacks is an error that names it.
func TestContextFlag(t *testing.T) {
	kubeconfig := twoContextKubeconfig(t)
	cases := map[string]struct {
		block    string // the kubernetes block's context, if any
		args     []string
		wantCode int
		want     string
	}{
		"current context":          {wantCode: exitError, want: "missing 2 permission(s) to apply this plan"},
		"--context":                {args: []string{"--context", "admin"}, wantCode: exitOK, want: "Apply complete! 1 issued"},
		"--context after":          {args: []string{"apply", "--context=admin"}, wantCode: exitOK, want: "Apply complete! 1 issued"},
		"block's context":          {block: "admin", wantCode: exitOK, want: "Apply complete! 1 issued"},
		"--context over the block": {block: "admin", args: []string{"--context", "restricted"}, wantCode: exitError, want: "missing 2 permission(s)"},
		"unknown context":          {args: []string{"--context", "prod"}, wantCode: exitError, want: `context "prod"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cn := "context-" + strings.NewReplacer(" ", "-", "'", "", "-", "").Replace(name)
			cfg := clientCert(cn, true)
			if tc.block != "" {
				cfg += "kubernetes {\n  context = \"" + tc.block + "\"\n}\n"
			}
			dir := writeConfig(t, cfg)
			args := tc.args
			if len(args) == 0 || args[0] != "apply" {
				args = append(append([]string{}, args...), "apply")
			}
			r := certform(t, dir, kubeconfig, append(args, "--auto-approve")...)
			if r.code != tc.wantCode {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.wantCode, r)
			}
			mustContain(t, r, tc.want)
		})
	}
}

// TestAllowWorldReadableKey: a key_file_mode with group or other bits is
// refused unless allow_world_readable_key = true says it is meant, and then
// the key file gets exactly that mode (docs/configuration.md, docs/keys.md).
func TestAllowWorldReadableKey(t *testing.T) {
	block := func(name, extra string) string {
		return strings.Replace(clientCert(name, true), `    cert_file = "`+name+`.crt"`,
			`    cert_file = "`+name+`.crt"`+"\n    key_file_mode = \"0640\"\n"+extra, 1)
	}
	refused := certform(t, writeConfig(t, block("wrk-refused", "")), "", "validate")
	if refused.code != exitError {
		t.Errorf("key_file_mode 0640 without allow_world_readable_key: want exit 1\n%s", refused)
	}
	mustContain(t, refused, "Private key readable by others", "key_file_mode 0640", "allow_world_readable_key = true")

	c := sharedCluster(t)
	dir := writeConfig(t, block("wrk-allowed", "    allow_world_readable_key = true\n"))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply with allow_world_readable_key\n%s", r)
	}
	fi, err := os.Stat(filepath.Join(dir, "wrk-allowed.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("key file mode %v, want 0640", fi.Mode().Perm())
	}
}

// TestConfiguredCSRName: csr_name names the CSR object instead of the
// address and key fingerprint; a reissue gets the next generation,
// NAME-2, as the first is still there (docs/configuration.md).
func TestConfiguredCSRName(t *testing.T) {
	c := sharedCluster(t)
	cfg := strings.Replace(clientCert("csrname", true), "  self_approve = true", "  self_approve = true\n  csr_name     = \"docs.csr-name.example\"", 1)
	dir := writeConfig(t, cfg)
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	cs := clientsetFor(t, c.AdminKubeconfig)
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	if _, err := csrs.Get(context.Background(), "docs.csr-name.example", metav1.GetOptions{}); err != nil {
		t.Errorf("the CSR named by csr_name: %v", err)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "state", "show", "certificate.csrname"); !strings.Contains(r.stdout, "docs.csr-name.example") {
		t.Errorf("state show lacks the CSR name\n%s", r)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--replace", "certificate.csrname"); r.code != exitOK {
		t.Fatalf("apply --replace\n%s", r)
	}
	if _, err := csrs.Get(context.Background(), "docs.csr-name.example-2", metav1.GetOptions{}); err != nil {
		t.Errorf("the reissue's CSR: %v", err)
	}
}

// TestSavedPlanWithBundle: a plan saved with --out that publishes a CA
// bundle, and writes a certificate's ca_file from it, is shown by show
// PLANFILE and carried out by apply PLANFILE as planned: the ConfigMap
// holds the bundle, the ca_file too, and nothing is left to do
// (docs/teams.md, docs/configuration.md).
func TestSavedPlanWithBundle(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "savedplan-bundle")
	dir := t.TempDir()
	ca := mustRead(t, c.SignerCAFile)
	os.WriteFile(filepath.Join(dir, "signer.crt"), ca, 0o644)
	cert := strings.Replace(clientCert("savedplan", true), `    cert_file = "savedplan.crt"`,
		`    cert_file = "savedplan.crt"`+"\n    ca_file   = \"ca.crt\"\n    ca_bundle = ca_bundle.trust", 1)
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cert+bundleConfig([]string{"signer.crt"}, "savedplan-bundle")), 0o644)

	r := certform(t, dir, c.AdminKubeconfig, "plan", "--out", "tls.plan")
	if r.code != exitOK {
		t.Fatalf("plan --out\n%s", r)
	}
	mustContain(t, r, "ca_bundle.trust will be published", "+ ConfigMap savedplan-bundle/trust", "Saved the plan to tls.plan")
	shown := certform(t, dir, c.AdminKubeconfig, "show", "tls.plan")
	mustContain(t, shown, "ca_bundle.trust will be published", "+ ConfigMap savedplan-bundle/trust", "certificate.savedplan will be issued")
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "tls.plan"); r.code != exitOK {
		t.Fatalf("apply tls.plan\n%s", r)
	} else {
		mustContain(t, r, "ca_bundle.trust: published ConfigMap savedplan-bundle/trust", "Apply complete! 1 issued")
	}
	if got, _ := publishedCAs(t, c.AdminKubeconfig, "savedplan-bundle"); len(got) != 1 || got[0] != "certform-test-signer-ca" {
		t.Errorf("savedplan-bundle/trust holds %v", got)
	}
	if got := mustRead(t, filepath.Join(dir, "ca.crt")); string(got) != string(ca) {
		t.Errorf("ca_file holds\n%s\nwant the bundle\n%s", got, ca)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after applying the saved plan: want no changes\n%s", r)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "tls.plan"); r.code != exitError {
		t.Errorf("applying the saved plan twice: want it refused as stale\n%s", r)
	} else {
		mustContain(t, r, "make a new plan with certform plan --out tls.plan")
	}
}
