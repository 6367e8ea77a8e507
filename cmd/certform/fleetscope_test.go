package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/testcluster"
)

// fleetClusters declares the two clusters of TestFleetScope. Without an
// unnamed kubernetes block the default cluster is the kubeconfig's
// current context: "eu", the first of fleetKubeconfig's.
const fleetClusters = `
kubernetes "eu" {
  context = "eu"
}

kubernetes "us" {
  context = "us"
}
`

// fleetKubeconfig writes a kubeconfig with a context per name of
// kubeconfigs, "eu" first (the current context), then "us", then any
// other in sorted order.
func fleetKubeconfig(t *testing.T, kubeconfigs map[string]string) string {
	t.Helper()
	order := []string{"eu", "us"}
	for name := range kubeconfigs {
		if name != "eu" && name != "us" {
			order = append(order, name)
		}
	}
	path := filepath.Join(t.TempDir(), "fleet.kubeconfig")
	if err := testcluster.WriteFleetKubeconfig(path, order, kubeconfigs); err != nil {
		t.Fatal(err)
	}
	return path
}

// inCluster puts a clientCert block into the named cluster.
func inCluster(block, name string) string {
	return strings.Replace(block, "  common_name", "  cluster      = kubernetes."+name+"\n  common_name", 1)
}

// TestFleetScope checks that what a certificate does in a fleet happens
// in its own cluster, never in the default one: plan --policy's
// prediction, an import from a Secret, the on_change.restart permission
// check; that apply checks the state backend's permissions too, names the
// clusters left out before it asks, and refuses a move into another
// cluster with the way to do it on purpose. "eu" is a private cluster and
// the default; "us" is the test binary's shared cluster.
func TestFleetScope(t *testing.T) {
	ctx := context.Background()
	eu, us := testcluster.StartFleet(t, 1)[0], sharedCluster(t)
	admins := fleetKubeconfig(t, map[string]string{"eu": eu.AdminKubeconfig, "us": us.AdminKubeconfig})
	usAdmin, err := us.AdminClient()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("plan --policy predicts in each certificate's cluster", func(t *testing.T) {
		rules := []rbacv1.PolicyRule{csrRule("create", "get", "list", "watch"),
			{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"get", "list", "watch"}}}
		kc := fleetKubeconfig(t, map[string]string{"eu": userKubeconfig(t, eu, "fleetscope-eu", rules...), "us": userKubeconfig(t, us, "fleetscope-us", rules...)})
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "fleetscope-web"}, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 443}}}}
		if _, err := usAdmin.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			usAdmin.CoreV1().Services("default").Delete(context.Background(), svc.Name, metav1.DeleteOptions{})
		})
		// Only us's service account may ask, and only for a Service that
		// exists: in us, not in eu.
		policies := writeConfig(t, `
policy "fleetscope" {
  signer_names = ["example.com/fleetscope"]
  requesters {
    service_accounts = ["default:fleetscope-us"]
  }
  allowed {
    dns_names      = ["*.default.svc"]
    common_names   = ["fleetscope-web"]
    usages         = ["digital signature", "server auth"]
    key_algorithms = ["ecdsa", "rsa"]
  }
  context {
    services = true
  }
}
`)
		dir := writeConfig(t, fleetClusters+`
certificate "web" {
  cluster     = kubernetes.us
  common_name = "fleetscope-web"
  hosts       = ["fleetscope-web.default.svc"]
  signer_name = "example.com/fleetscope"
  usages      = ["digital signature", "server auth"]
  output {
    key_file  = "web.key"
    cert_file = "web.crt"
  }
}
`)
		r := certform(t, dir, kc, "plan", "--policy", policies)
		if r.code != exitOK {
			t.Fatalf("plan --policy\n%s", r)
		}
		mustContain(t, r, `# (in cluster "us")`, `# the approver would approve this CSR (policy "fleetscope")`)
		mustContain(t, certform(t, dir, kc, "plan", "--policy", policies, "--json"), `"cluster": "us"`, `"verdict": "approve"`)
		r = certform(t, dir, kc, "validate", "--policy", policies)
		if r.code != exitOK {
			t.Fatalf("validate --policy\n%s", r)
		}
		mustContain(t, r, `certificate.web: the approver would approve this CSR (policy "fleetscope")`)
	})

	t.Run("an import reads its Secret in the certificate's cluster and records it", func(t *testing.T) {
		seed := pki.Request{Hosts: []string{"fleetscope-imp.default.svc"}}
		seed.Subject.CommonName, seed.Subject.Organization = "system:node:fleetscope-imp", []string{"system:nodes"}
		usages := []string{"digital signature", "key encipherment", "server auth"}
		keyPEM, certPEM := manualIssue(t, us, "fleetscope-imp", seed, usages)
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "fleetscope-imp", Namespace: "default"}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.key": keyPEM, "tls.crt": certPEM}}
		if _, err := usAdmin.CoreV1().Secrets("default").Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			usAdmin.CoreV1().Secrets("default").Delete(context.Background(), sec.Name, metav1.DeleteOptions{})
		})
		block := func(name string) string {
			return `
certificate "` + name + `" {
  cluster     = kubernetes.us
  common_name = "system:node:fleetscope-imp"
  hosts       = ["fleetscope-imp.default.svc"]
  subject {
    organization = ["system:nodes"]
  }
  signer_name = "kubernetes.io/kubelet-serving"
  usages      = ["digital signature", "key encipherment", "server auth"]
  output {
    key_file  = "` + name + `.key"
    cert_file = "` + name + `.crt"
  }
}
`
		}
		dir := writeConfig(t, fleetClusters+block("imp")+block("cli")+`
import {
  to = certificate.imp
  secret {
    namespace = "default"
    name      = "fleetscope-imp"
  }
}
`)
		r := certform(t, dir, admins, "plan", "--detailed-exitcode", "--target", "certificate.imp")
		if r.code != exitChanges {
			t.Fatalf("plan of an import from a Secret in cluster us: want exit 2\n%s", r)
		}
		mustContain(t, r, "# certificate.imp will be imported", "from Secret default/fleetscope-imp", "verified")
		work := t.TempDir()
		os.WriteFile(filepath.Join(work, "key.pem"), keyPEM, 0o600)
		os.WriteFile(filepath.Join(work, "cert.pem"), certPEM, 0o600)
		if r := certform(t, dir, admins, "import", "certificate.cli", "--key", filepath.Join(work, "key.pem"), "--cert", filepath.Join(work, "cert.pem")); r.code != exitOK {
			t.Fatalf("certform import into cluster us\n%s", r)
		}
		if rec := readState(t, dir).Certificates["certificate.cli"]; rec == nil || rec.Cluster.Name != "us" {
			t.Errorf("certform import recorded %+v, want cluster us", rec)
		}
		if r := certform(t, dir, admins, "apply", "--auto-approve"); r.code != exitOK {
			t.Fatalf("apply of the import\n%s", r)
		}
		uid, err := us.UID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st := readState(t, dir)
		for _, addr := range []string{"certificate.imp", "certificate.cli"} {
			if rec := st.Certificates[addr]; rec == nil || rec.Cluster.Name != "us" || rec.Cluster.UID != uid || rec.SerialNumber == "" {
				t.Errorf("%s recorded as %+v, want issued in cluster us (UID %s)", addr, rec, uid)
			}
		}
		if string(mustRead(t, filepath.Join(dir, "imp.crt"))) != string(certPEM) {
			t.Error("the Secret's certificate was not written to imp.crt")
		}
		var out struct{ Certificates []StatusEntry }
		r = certform(t, dir, admins, "status", "--json")
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Certificates) != 2 {
			t.Fatalf("status --json: %v\n%s", err, r)
		}
		for _, e := range out.Certificates {
			if e.Cluster != "us" {
				t.Errorf("status: %s in cluster %q, want us", e.Address, e.Cluster)
			}
		}
		mustContain(t, certform(t, dir, admins, "show"), "CLUSTER", "certificate.imp  us")
		mustContain(t, certform(t, dir, admins, "state", "show", "certificate.imp"), `cluster              = cluster "us" at `+us.APIServerURL(), uid)
	})

	t.Run("on_change.restart is checked in the certificate's cluster", func(t *testing.T) {
		dir := writeConfig(t, fleetClusters+strings.Replace(inCluster(clientCert("fleetscope-restart", true), "us"), "  output {", `  on_change {
    restart {
      kind      = "Deployment"
      namespace = "default"
      name      = "fleetscope-app"
    }
  }
  output {`, 1))
		// The default cluster's user may not patch the Deployment; us's may.
		kc := fleetKubeconfig(t, map[string]string{"eu": eu.RestrictedKubeconfig, "us": us.AdminKubeconfig})
		if r := certform(t, dir, kc, "plan", "--detailed-exitcode"); r.code != exitChanges {
			t.Errorf("plan whose restart us's user may patch: want exit 2\n%s", r)
		}
		kc = fleetKubeconfig(t, map[string]string{"eu": eu.AdminKubeconfig, "us": us.RestrictedKubeconfig})
		r := certform(t, dir, kc, "plan")
		if r.code != exitError {
			t.Fatalf("plan whose restart us's user may not patch: want exit 1\n%s", r)
		}
		mustContain(t, r, "missing 1 permission(s) to restart the workloads on_change.restart names", "cannot patch deployments.apps fleetscope-app (in namespace default)")
		// With a certificate in eu too, only us is left out.
		os.WriteFile(filepath.Join(dir, "eu.hcl"), []byte(inCluster(clientCert("fleetscope-restart-eu", true), "eu")), 0o644)
		r = certform(t, dir, kc, "plan")
		if r.code != exitError {
			t.Fatalf("plan of a fleet whose restart us's user may not patch: want exit 1\n%s", r)
		}
		mustContain(t, r, `cluster "us" (`+us.APIServerURL()+`), left out: certificate.fleetscope-restart`,
			"missing 1 permission(s) to restart the workloads", "# certificate.fleetscope-restart-eu will be issued")
	})

	t.Run("apply checks the state backend's permissions in its cluster", func(t *testing.T) {
		state := func(verbs ...string) string {
			return userKubeconfig(t, eu, "fleetscope-state",
				rbacv1.PolicyRule{APIGroups: []string{coordv1.GroupName}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update", "delete"}},
				rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: verbs})
		}
		// The certificates are in eu and us; the state is kept in the
		// default cluster, as a user who may do nothing else there.
		kc := fleetKubeconfig(t, map[string]string{"eu": eu.AdminKubeconfig, "us": us.AdminKubeconfig, "state": state("get", "list", "create", "update", "delete")})
		dir := writeConfig(t, `
kubernetes {
  context = "state"
}
backend "kubernetes" {
  namespace = "default"
  name      = "fleetscope-state"
}
`+fleetClusters+inCluster(clientCert("fleetscope-eu", true), "eu")+inCluster(clientCert("fleetscope-us", true), "us"))
		if r := certform(t, dir, kc, "apply", "--auto-approve"); r.code != exitOK {
			t.Fatalf("apply with state in the default cluster\n%s", r)
		}
		before := map[string]int{"eu": countCSRs(t, eu), "us": countCSRs(t, us)}
		state("get", "list") // may read the state, not write it
		replace := []string{"--replace", "certificate.fleetscope-eu", "--replace", "certificate.fleetscope-us"}
		r := certform(t, dir, kc, append([]string{"plan"}, replace...)...)
		mustContain(t, r, "certform: warning: missing 3 permission(s) to keep the state in Secret default/fleetscope-state in cluster \"default\"")
		r = certform(t, dir, kc, append([]string{"apply", "--auto-approve"}, replace...)...)
		if r.code != exitError {
			t.Fatalf("apply whose state cannot be written: want exit 1\n%s", r)
		}
		mustContain(t, r, "missing 3 permission(s) to keep the state in Secret default/fleetscope-state", "; nothing was submitted",
			"cannot update secrets (in namespace default)", `verbs: ["create", "update", "delete"]`)
		for name, c := range map[string]*testcluster.Cluster{"eu": eu, "us": us} {
			if n := countCSRs(t, c); n != before[name] {
				t.Errorf("cluster %s: %d CSRs, %d before: apply submitted although it could not record them", name, n, before[name])
			}
		}
	})

	t.Run("interactive apply names the clusters left out before it asks", func(t *testing.T) {
		kc := fleetKubeconfig(t, map[string]string{"eu": eu.AdminKubeconfig, "us": us.AdminKubeconfig, "gone": unreachableKubeconfig(t)})
		dir := writeConfig(t, fleetClusters+`
kubernetes "gone" {
  context = "gone"
}
`+inCluster(clientCert("fleetscope-ask", true), "eu")+inCluster(clientCert("fleetscope-gone", true), "gone"))
		out, code := answerApply(t, dir, kc, "no", "Only 'yes' will be accepted: ")
		question := strings.Index(out, "Do you want to apply these changes?")
		left := strings.Index(out, `cluster "gone"`)
		if question < 0 || left < 0 || left > question {
			t.Errorf("the cluster left out (at %d) is not named before the question (at %d)\n%s", left, question, out)
		}
		if code != exitError || !strings.Contains(out, "apply cancelled") {
			t.Errorf("apply answered no: exit %d\n%s", code, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "fleetscope-ask.key")); !os.IsNotExist(err) {
			t.Errorf("apply answered no wrote a key (%v)", err)
		}
	})

	t.Run("a move into another cluster is refused, with the way to do it", func(t *testing.T) {
		a := inCluster(clientCert("fleetscope-a", true), "eu")
		moved := strings.NewReplacer(`"fleetscope-a"`, `"fleetscope-b"`, "kubernetes.eu", "kubernetes.us")
		b := moved.Replace(a) // same common name and files, in us
		dir := writeConfig(t, fleetClusters+a)
		if r := certform(t, dir, admins, "apply", "--auto-approve"); r.code != exitOK {
			t.Fatalf("apply into eu\n%s", r)
		}
		write := func(hcl string) {
			t.Helper()
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(fleetClusters+hcl), 0o644); err != nil {
				t.Fatal(err)
			}
		}

		write(b)
		r := certform(t, dir, admins, "state", "mv", "certificate.fleetscope-a", "certificate.fleetscope-b")
		mustContain(t, r, `certificate.fleetscope-b is declared in cluster "us", but it lives in cluster "eu" at `+eu.APIServerURL())
		r = certform(t, dir, admins, "plan")
		if r.code != exitError {
			t.Fatalf("plan after a state mv into another cluster: want exit 1\n%s", r)
		}
		mustContain(t, r, `1 address(es) would move into cluster "us" from another cluster`, `certificate.fleetscope-b lives in cluster "eu"`,
			`put certificate.fleetscope-b back in cluster "eu"`)
		if r := certform(t, dir, admins, "state", "mv", "certificate.fleetscope-b", "certificate.fleetscope-a"); r.code != exitOK {
			t.Fatalf("state mv back\n%s", r)
		}

		write(b + "\nmoved {\n  from = certificate.fleetscope-a\n  to   = certificate.fleetscope-b\n}\n")
		for _, args := range [][]string{{"plan"}, {"plan", "--rebind-cluster", "us"}, {"apply", "--auto-approve", "--rebind-cluster", "us"}, {"apply", "--auto-approve", "--refresh=false"}} {
			r := certform(t, dir, admins, args...)
			if r.code != exitError {
				t.Fatalf("%s with a moved block into another cluster: want exit 1\n%s", args, r)
			}
			mustContain(t, r, `certificate.fleetscope-a (moved to certificate.fleetscope-b) lives in cluster "eu" at `+eu.APIServerURL(),
				"remove the moved block: certform apply --target 'certificate.fleetscope-a' then deletes certificate.fleetscope-a from cluster \"eu\"")
		}
		if rec := readState(t, dir).Certificates["certificate.fleetscope-a"]; rec == nil || rec.Cluster.Name != "eu" {
			t.Fatalf("state after the refused move: %+v", rec)
		}

		// What the hint says: without the moved block, delete in eu, then
		// issue in us.
		write(b)
		if r := certform(t, dir, admins, "apply", "--auto-approve", "--target", "certificate.fleetscope-a"); r.code != exitOK {
			t.Fatalf("apply --target the old address\n%s", r)
		}
		if r := certform(t, dir, admins, "apply", "--auto-approve"); r.code != exitOK {
			t.Fatalf("apply of the new address in us\n%s", r)
		}
		if leaf := readLeaf(t, filepath.Join(dir, "fleetscope-a.crt")); !chainsTo(leaf, us.SignerCA) {
			t.Error("the certificate issued after the move does not chain to us's signer")
		}
		st := readState(t, dir)
		if st.Certificates["certificate.fleetscope-a"] != nil || st.Certificates["certificate.fleetscope-b"] == nil || st.Certificates["certificate.fleetscope-b"].Cluster.Name != "us" {
			t.Errorf("state after the move on purpose: %v", st.Addrs())
		}
	})
}

// countCSRs counts the CSRs of cluster c.
func countCSRs(t *testing.T, c *testcluster.Cluster) int {
	t.Helper()
	list, err := csrClient(t, c.AdminKubeconfig).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}
