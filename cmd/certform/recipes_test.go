package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
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

// TestCronJobRBAC runs certform with exactly the example CronJob's rights:
// state and lock in the cluster, a self-approved certificate, a CA bundle
// ConfigMap. Without the approval rule, the error names the missing rule.
func TestCronJobRBAC(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "certform")
	roles, _ := createObjects(t, c.AdminKubeconfig, "../../examples/cronjob/cronjob.yaml")
	kubeconfig := tokenKubeconfig(t, c, "certform", "certform")
	backend := strings.Replace(kubernetesBackend(), `namespace = "default"`, `namespace = "certform"`, 1)
	dir := writeConfig(t, backend+clientCert("cron", true)+`
ca_bundle "cron" {
  source { pem = file("signer.crt") }
  configmap {
    namespaces = ["certform"]
    name       = "cron-trust"
  }
}
`)
	os.WriteFile(filepath.Join(dir, "signer.crt"), mustRead(t, c.SignerCAFile), 0o644)
	if r := certform(t, dir, kubeconfig, "plan"); r.code != exitOK {
		t.Fatalf("plan with the CronJob's rights\n%s", r)
	}
	if r := certform(t, dir, kubeconfig, "apply", "--auto-approve", "--json"); r.code != exitOK {
		t.Fatalf("apply with the CronJob's rights\n%s", r)
	}
	if r := certform(t, dir, kubeconfig, "status", "--check"); r.code != exitOK {
		t.Errorf("status --check\n%s", r)
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
	r := certform(t, dir, kubeconfig, "apply", "--auto-approve", "--replace", "certificate.cron")
	if r.code != exitError {
		t.Fatalf("apply without the approval rule: want a permission error\n%s", r)
	}
	mustContain(t, r, "is forbidden", `resources ["certificatesigningrequests/approval"], verbs ["update"]`)
}

// TestCIRecipes parses the GitHub Actions and GitLab CI examples and runs
// their certform commands against the local cluster, in order.
func TestCIRecipes(t *testing.T) {
	c := sharedCluster(t)
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
			var commands []string
			for _, line := range strings.Split(string(data), "\n") {
				line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- "))
				if strings.HasPrefix(line, "certform ") {
					commands = append(commands, line)
				}
			}
			if len(commands) < 4 {
				t.Fatalf("found only %d certform commands in %s", len(commands), recipe)
			}
			work := t.TempDir()
			os.MkdirAll(filepath.Join(work, "certs"), 0o755)
			os.WriteFile(filepath.Join(work, "certs", "main.hcl"), []byte(clientCert("ci", true)), 0o644)
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
			st := readState(t, filepath.Join(work, "certs"))
			if rec := st.Certificates["certificate.ci"]; rec == nil || rec.Status != "issued" {
				t.Errorf("after the recipe: %+v", rec)
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
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("certform in-cluster: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Apply complete! 1 issued") {
		t.Errorf("in-cluster apply:\n%s", out)
	}
}
