package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	certv1 "k8s.io/api/certificates/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/testcluster"
)

// userKubeconfig is a kubeconfig of a user with exactly rules.
func userKubeconfig(t *testing.T, c *testcluster.Cluster, name string, rules ...rbacv1.PolicyRule) string {
	t.Helper()
	path, err := c.UserKubeconfig(context.Background(), name, rules)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func csrRule(verbs ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: []string{certv1.GroupName}, Resources: []string{"certificatesigningrequests"}, Verbs: verbs}
}

// secretCert is clientCert with a Secret in namespace default as well.
func secretCert(name string) string {
	return strings.Replace(clientCert(name, true), "  output {", `  secret {
    namespace = "default"
    name      = "`+name+`-tls"
  }
  output {`, 1)
}

// TestApplyReportsEveryMissingPermission: a user who may read CSRs and
// list Secrets, nothing else, learns, before anything is submitted, every permission the
// apply lacks, each with its rule; plan warns about the same.
func TestApplyReportsEveryMissingPermission(t *testing.T) {
	c := sharedCluster(t)
	kubeconfig := userKubeconfig(t, c, "reader", csrRule("get", "list", "watch"),
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}})
	dir := writeConfig(t, secretCert("rbac-all"))
	wantAll := []string{
		"cannot create certificatesigningrequests.certificates.k8s.io (cluster-wide), needed to submit CSRs",
		`{apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests"], verbs: ["create"]}`,
		"cannot update certificatesigningrequests.certificates.k8s.io/approval (cluster-wide)",
		`{apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests/approval"], verbs: ["update"]}`,
		"cannot approve signers.certificates.k8s.io kubernetes.io/kube-apiserver-client (cluster-wide)",
		`{apiGroups: ["certificates.k8s.io"], resources: ["signers"], resourceNames: ["kubernetes.io/kube-apiserver-client"], verbs: ["approve"]}`,
		"cannot create secrets (in namespace default)", "cannot patch secrets (in namespace default)",
		`{apiGroups: [""], resources: ["secrets"], verbs: ["patch"]}`,
		"rules of a Role in namespace default", `verbs: ["create", "patch"]`,
	}

	r := certform(t, dir, kubeconfig, "plan")
	if r.code != exitOK {
		t.Fatalf("plan as a reader: want a warning, not an error\n%s", r)
	}
	mustContain(t, r, append([]string{"certform: warning: missing 5 permission(s) to apply this plan:"}, wantAll...)...)

	r = certform(t, dir, kubeconfig, "apply", "--auto-approve")
	if r.code != exitError {
		t.Fatalf("apply as a reader: want exit 1\n%s", r)
	}
	mustContain(t, r, append([]string{"missing 5 permission(s) to apply this plan; nothing was submitted:"}, wantAll...)...)
	if strings.Contains(r.stderr, "reachable") {
		t.Errorf("a permission error with a reachability hint\n%s", r)
	}
	if lineage, ok := lineageOf(dir); ok {
		list, err := csrClient(t, c.AdminKubeconfig).List(context.Background(), metav1.ListOptions{LabelSelector: "certform.dev/lineage=" + lineage})
		if err != nil || len(list.Items) > 0 {
			t.Errorf("CSRs submitted despite missing permissions: %d (%v)", len(list.Items), err)
		}
	}
}

// TestPlanForbiddenHint: a user who may not list the Secrets plan's
// refresh reads gets the rule that grants it, not a reachability hint.
func TestPlanForbiddenHint(t *testing.T) {
	c := sharedCluster(t)
	kubeconfig := userKubeconfig(t, c, "creator", csrRule("create", "get", "list", "watch"))
	dir := writeConfig(t, secretCert("rbac-list"))
	r := certform(t, dir, kubeconfig, "plan")
	if r.code != exitError {
		t.Fatalf("plan without list on Secrets: want exit 1\n%s", r)
	}
	mustContain(t, r, `cannot list resource "secrets"`, "certform: hint: grant the user the RBAC rule",
		`{apiGroups: [""], resources: ["secrets"], verbs: ["list"]} (in a Role in namespace default)`)
	if strings.Contains(r.stderr, "reachable") {
		t.Errorf("a permission error with a reachability hint\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "rbac-list.key")); !os.IsNotExist(err) {
		t.Errorf("plan wrote a key (err = %v)", err)
	}
}
