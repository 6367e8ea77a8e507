package main

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/certform/certform/state/statefile"
)

// createObjects creates the RBAC objects and ServiceAccounts of a YAML
// example exactly as written, and returns the ClusterRoles it holds and how
// many objects of each kind it has.
func createObjects(t *testing.T, kubeconfig, path string) ([]*rbacv1.ClusterRole, map[string]int) {
	t.Helper()
	cs := clientsetFor(t, kubeconfig)
	ctx := context.Background()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var roles []*rbacv1.ClusterRole
	kinds := map[string]int{}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		obj, gvk, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("%s does not parse: %v", path, err)
		}
		kinds[gvk.Kind]++
		switch o := obj.(type) {
		case *corev1.ServiceAccount:
			_, err = cs.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.ClusterRole:
			roles = append(roles, o)
			_, err = cs.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.ClusterRoleBinding:
			_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.Role:
			_, err = cs.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.RoleBinding:
			_, err = cs.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("creating %s from %s: %v", gvk.Kind, path, err)
		}
	}
	return roles, kinds
}

// TestCronJobRBAC runs certform as the example CronJob does: with exactly
// its rights (the recipe's ServiceAccount and roles, created as written),
// a read-only configuration, and only its data directory and output
// directory writable (as uid 65534): state and lock in the cluster, a
// self-approved certificate, a CA bundle ConfigMap, and a certificate
// removed from the configuration, which deletes its CSR. Without the
// approval rule, the error names the missing rule.
func TestCronJobRBAC(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run certform as another user")
	}
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "certform")
	roles, _ := createObjects(t, c.AdminKubeconfig, "../../examples/cronjob/cronjob.yaml")
	root := publicDir(t)
	cfg, data, out := filepath.Join(root, "config"), filepath.Join(root, "data"), filepath.Join(root, "out")
	for _, d := range []string{cfg, data, out} {
		os.Mkdir(d, 0o755)
	}
	os.Chown(data, 65534, 65534)
	os.Chown(out, 65534, 65534)
	backend := strings.Replace(kubernetesBackend(), `namespace = "default"`, `namespace = "certform"`, 1)
	outputs := strings.NewReplacer(`key_file  = "`, `key_file  = "`+out+`/`, `cert_file = "`, `cert_file = "`+out+`/`)
	bundle := `
ca_bundle "cron" {
  source { pem = file("signer.crt") }
  configmap {
    namespaces = ["certform"]
    name       = "cron-trust"
  }
}
`
	writeCfg := func(hcl string) {
		os.Chmod(cfg, 0o755)
		os.WriteFile(filepath.Join(cfg, "main.hcl"), []byte(hcl), 0o444)
		os.Chmod(cfg, 0o555)
	}
	os.WriteFile(filepath.Join(cfg, "signer.crt"), mustRead(t, c.SignerCAFile), 0o444)
	writeCfg(backend + outputs.Replace(clientCert("cron", true)+clientCert("cron-gone", true)) + bundle)
	n := newNobody(t, root, cfg, tokenKubeconfig(t, c, "certform", "certform"))
	env := []string{"CERTFORM_DATA_DIR=" + data}
	before := snapshot(t, cfg)
	if r := n.run(env, "plan"); r.code != exitOK {
		t.Fatalf("plan with the CronJob's rights\n%s", r)
	}
	if r := n.run(env, "apply", "--auto-approve", "--json"); r.code != exitOK {
		t.Fatalf("apply with the CronJob's rights\n%s", r)
	}
	if r := n.run(env, "status", "--check"); r.code != exitOK {
		t.Errorf("status --check\n%s", r)
	}
	st, err := statefile.Decode([]byte(n.run(env, "state", "pull").stdout))
	if err != nil || st.Certificates["certificate.cron-gone"] == nil {
		t.Fatalf("state after apply: %v", err)
	}
	csrName := st.Certificates["certificate.cron-gone"].CSRName

	// Remove a certificate: its CSR is deleted with the recipe's rights.
	writeCfg(backend + outputs.Replace(clientCert("cron", true)) + bundle)
	before = snapshot(t, cfg)
	if r := n.run(env, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply removing a certificate with the CronJob's rights\n%s", r)
	}
	_, err = clientsetFor(t, c.AdminKubeconfig).CertificatesV1().CertificateSigningRequests().Get(context.Background(), csrName, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("the removed certificate's CSR %s: %v, want it deleted", csrName, err)
	}
	if _, err := os.Stat(filepath.Join(out, "cron-gone.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the removed certificate's key file: %v, want it deleted", err)
	}
	if diff := cmp.Diff(before, snapshot(t, cfg)); diff != "" {
		t.Errorf("the read-only configuration directory changed (-before +after):\n%s", diff)
	}

	// Take the approval rule away: the next issue fails and says which rule.
	role := roles[0].DeepCopy()
	var kept []rbacv1.PolicyRule
	for _, rule := range role.Rules {
		if rule.Resources[0] != "certificatesigningrequests/approval" {
			kept = append(kept, rule)
		}
	}
	role.Rules = kept
	cs := clientsetFor(t, c.AdminKubeconfig)
	if _, err := cs.RbacV1().ClusterRoles().Update(context.Background(), role, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer cs.RbacV1().ClusterRoles().Update(context.Background(), roles[0], metav1.UpdateOptions{})
	r := n.run(env, "apply", "--auto-approve", "--replace", "certificate.cron")
	if r.code != exitError {
		t.Fatalf("apply without the approval rule: want a permission error\n%s", r)
	}
	mustContain(t, r, "nothing was submitted", `resources: ["certificatesigningrequests/approval"], verbs: ["update"]`)
}

// TestCronJobRecipeImage: the CronJob names a pinned image that this
// repository's Dockerfile builds; the Dockerfile's build command makes a
// static binary (the final stage is distroless, which has no libc). No
// container runtime is needed: the build command runs as written.
func TestCronJobRecipeImage(t *testing.T) {
	recipe := string(mustRead(t, "../../examples/cronjob/cronjob.yaml"))
	image := regexp.MustCompile(`image: (\S+)`).FindStringSubmatch(recipe)
	if image == nil || !strings.HasPrefix(image[1], "ghcr.io/certform/certform:v") {
		t.Fatalf("the CronJob names no pinned certform image: %v", image)
	}
	dockerfile := string(mustRead(t, "../../Dockerfile"))
	if !strings.Contains(dockerfile, "-t "+image[1]+" .") {
		t.Errorf("the Dockerfile does not say how to build %s", image[1])
	}
	if !strings.Contains(dockerfile, "FROM gcr.io/distroless/static") {
		t.Errorf("the final stage is not distroless/static")
	}
	build := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 go build .*) -o /out/certform (\S+)$`).FindStringSubmatch(dockerfile)
	if build == nil {
		t.Fatal("no static go build in the Dockerfile")
	}
	bin := filepath.Join(t.TempDir(), "certform")
	cmd := exec.Command("sh", "-c", build[1]+" -o "+bin+" "+build[2])
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "VERSION=v0.0.0-test")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary needs a dynamic loader; distroless/static has none")
		}
	}
	if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil || !strings.Contains(string(out), "v0.0.0-test") {
		t.Errorf("the built binary: %v\n%s", err, out)
	}
}

// TestCIRecipes parses the GitHub Actions and GitLab CI examples and runs
// their certform commands against the local cluster, in order, on their
// configuration (examples/ci/certs): state in the cluster, the key in a
// Secret, the saved plan applied with no variables repeated.
func TestCIRecipes(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "certform")
	for _, recipe := range []string{"github-actions.yml", "gitlab-ci.yml"} {
		t.Run(recipe, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("../../examples/ci", recipe))
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := yaml.Unmarshal(data, &doc); err != nil {
				t.Fatalf("%s does not parse: %v", recipe, err)
			}
			if !regexp.MustCompile(`CERTFORM_VERSION: v\d+\.\d+\.\d+`).Match(data) || !strings.Contains(string(data), "certform@${CERTFORM_VERSION}") ||
				strings.Contains(string(data), "@latest") {
				t.Errorf("%s does not pin the certform version", recipe)
			}
			var commands []string
			for _, line := range strings.Split(string(data), "\n") {
				line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- "))
				if strings.HasPrefix(line, "certform ") {
					commands = append(commands, line)
				}
				if strings.HasPrefix(line, "certform apply") && strings.Contains(line, "--var") {
					t.Errorf("%s repeats variables for apply: %s", recipe, line)
				}
			}
			if len(commands) < 4 {
				t.Fatalf("found only %d certform commands in %s", len(commands), recipe)
			}
			work := t.TempDir()
			certs := copyDir(t, "../../examples/ci/certs")
			os.Rename(certs, filepath.Join(work, "certs"))
			bin := filepath.Dir(certformBin)
			for _, cmdline := range commands {
				cmd := exec.Command("bash", "-c", cmdline)
				cmd.Dir = work
				cmd.Env = append(os.Environ(), "KUBECONFIG="+c.AdminKubeconfig, "PATH="+bin+":"+os.Getenv("PATH"),
					"GITHUB_STEP_SUMMARY="+filepath.Join(work, "summary.md"))
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", cmdline, err, out)
				}
			}
			pulled := certform(t, filepath.Join(work, "certs"), c.AdminKubeconfig, "state", "pull", "--var-file", "prod.tfvars")
			st, err := statefile.Decode([]byte(pulled.stdout))
			if err != nil {
				t.Fatalf("state pull: %v\n%s", err, pulled)
			}
			if rec := st.Certificates["certificate.api-client"]; rec == nil || rec.Status != "issued" || rec.Secret == nil {
				t.Errorf("after the recipe: %+v", rec)
			}
			sec, err := clientsetFor(t, c.AdminKubeconfig).CoreV1().Secrets("certform").Get(context.Background(), "api-client-tls", metav1.GetOptions{})
			if err != nil || len(sec.Data["tls.key"]) == 0 {
				t.Errorf("the certificate's Secret: %v", err)
			}
		})
	}
}

// TestInClusterConfig runs certform as a pod would: no kubeconfig, the
// service account's token and CA at the in-cluster paths, the apiserver in
// KUBERNETES_SERVICE_HOST/PORT. The paths are faked in a private mount
// namespace (a tmpfs over /run), so the machine is left as it was.
func TestInClusterConfig(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "certform")
	createObjects(t, c.AdminKubeconfig, "../../examples/cronjob/cronjob.yaml")
	saConfig, err := clientcmd.LoadFromFile(tokenKubeconfig(t, c, "certform", "certform"))
	if err != nil {
		t.Fatal(err)
	}
	var token string
	for _, ai := range saConfig.AuthInfos {
		token = ai.Token
	}
	var caData []byte
	for _, cl := range saConfig.Clusters {
		caData = cl.CertificateAuthorityData
	}
	secrets := t.TempDir()
	os.WriteFile(filepath.Join(secrets, "token"), []byte(token), 0o600)
	os.WriteFile(filepath.Join(secrets, "ca.crt"), caData, 0o644)
	os.WriteFile(filepath.Join(secrets, "namespace"), []byte("certform"), 0o644)
	dir := writeConfig(t, clientCert("incluster", true))
	u, _ := url.Parse(c.APIServerURL())
	sa := "/run/secrets/kubernetes.io/serviceaccount"
	script := fmt.Sprintf("mount -t tmpfs tmpfs /run && mkdir -p %[1]s && cp %[2]s/* %[1]s/ && exec %[3]s --chdir %[4]s apply --auto-approve",
		sa, secrets, certformBin, dir)
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "NO_COLOR=1",
		"KUBERNETES_SERVICE_HOST=" + u.Hostname(), "KUBERNETES_SERVICE_PORT=" + u.Port()}
	cmd.Env = append(cmd.Env, coverEnv()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("certform in-cluster: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Apply complete! 1 issued") {
		t.Errorf("in-cluster apply:\n%s", out)
	}
}
