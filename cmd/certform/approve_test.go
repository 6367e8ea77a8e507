package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/testcluster"
)

const teamPolicy = `
policy "team-a-serving" {
  signer_names = ["kubernetes.io/kubelet-serving"]
  requesters {
    service_accounts = ["team-a:*"]
  }
  allowed {
    dns_names      = ["*.team-a.svc"]
    ip_ranges      = ["10.0.0.0/8"]
    common_names   = ["system:node:*"]
    organizations  = ["system:nodes"]
    usages         = ["digital signature", "key encipherment", "server auth"]
    key_algorithms = ["ecdsa"]
    max_expiration = "720h"
  }
}
`

// servingCert is a kubelet-serving certificate for host, as team-a asks.
func servingCert(name, host string) string {
	return fmt.Sprintf(`
certificate %q {
  common_name = "system:node:%s"
  hosts       = [%q]
  subject { organization = ["system:nodes"] }
  signer_name        = "kubernetes.io/kubelet-serving"
  expiration_seconds = 3600
  output {
    key_file  = "%s.key"
    cert_file = "%s.crt"
  }
}
`, name, name, host, name, name)
}

// serviceAccountKubeconfig makes service account NS/NAME, lets it create and
// read CSRs, and returns a kubeconfig that authenticates as it.
func serviceAccountKubeconfig(t *testing.T, c *testcluster.Cluster, ns, name string) string {
	t.Helper()
	cs, err := c.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "csr-" + ns + "-" + name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: testcluster.RestrictedUser},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: name}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return tokenKubeconfig(t, c, ns, name)
}

// TestApproverOnce: a CSR from team-a's service account for allowed names
// is approved and then issued by the real signer; one for another team's
// name is denied naming the rule; one for a signer no policy covers is
// left pending.
func TestApproverOnce(t *testing.T) {
	c := sharedCluster(t)
	sa := serviceAccountKubeconfig(t, c, "team-a", "builder")
	policies := writeConfig(t, teamPolicy)
	dir := writeConfig(t, servingCert("good", "web.team-a.svc")+servingCert("bad", "web.team-b.svc")+clientCert("other", false))
	// The plan predicts each verdict the approver gives below, with the
	// requester the service account's credentials authenticate as.
	r := certform(t, dir, sa, "validate", "--policy", policies)
	mustContain(t, r, `certificate.good: the approver would approve this CSR (policy "team-a-serving")`,
		`certificate.bad: the approver would DENY this CSR: policy "team-a-serving", rule dns_names`,
		"certificate.other: no approver policy applies", "would deny 1 certificate(s)")
	if r.code != exitError {
		t.Errorf("validate --policy with a denied certificate exited %d, want %d", r.code, exitError)
	}
	r = certform(t, dir, sa, "plan", "--policy", policies)
	mustContain(t, r, `# the approver would approve this CSR (policy "team-a-serving")`,
		`# the approver would DENY this CSR: policy "team-a-serving", rule dns_names: DNS name "web.team-b.svc" is not allowed`,
		"# no approver policy applies to this CSR", "Warning: the approver's policies would deny 1 of the CSRs this plan submits (certificate.bad)")
	r = certform(t, dir, sa, "plan", "--policy", policies, "--json")
	mustContain(t, r, "\"predicted_approval\": {\n        \"verdict\": \"deny\",\n        \"policy\": \"team-a-serving\",\n        \"rule\": \"dns_names\"")
	if r := certform(t, dir, sa, "apply", "--auto-approve", "--no-wait"); r.code != exitOK {
		t.Fatalf("apply --no-wait as the service account\n%s", r)
	}
	st := readState(t, dir)
	good, bad, other := st.Certificates["certificate.good"].CSRName, st.Certificates["certificate.bad"].CSRName, st.Certificates["certificate.other"].CSRName

	r = certform(t, ".", c.AdminKubeconfig, "approve", "--policy", policies, "--dry-run")
	mustContain(t, r, "(dry run) "+good+" approve", "(dry run) "+bad+" deny")
	r = certform(t, ".", c.AdminKubeconfig, "approve", "--policy", policies, "--explain", bad)
	mustContain(t, r, `policy "team-a-serving" applies and denies: dns_names: DNS name "web.team-b.svc" is not allowed`, "decision: deny")

	r = certform(t, ".", c.AdminKubeconfig, "approve", "--policy", policies)
	if r.code != exitOK {
		t.Fatalf("approve\n%s", r)
	}
	mustContain(t, r, good+` approve: approved by certform policy "team-a-serving"`,
		bad+` deny: denied by certform policy "team-a-serving": dns_names: DNS name "web.team-b.svc" is not allowed`)
	if strings.Contains(r.stdout, other+" approve") || strings.Contains(r.stdout, other+" deny") {
		t.Errorf("a CSR no policy covers was decided\n%s", r)
	}

	r = certform(t, dir, sa, "apply", "--auto-approve", "--target", "certificate.good", "--wait-timeout=1m")
	mustContain(t, r, "certificate.good: issued")
	r = certform(t, dir, sa, "plan")
	mustContain(t, r, "certificate.bad: CSR "+bad+" was denied", "dns_names", "pass --replace certificate.bad to submit it again")
	csr, err := csrClient(t, c.AdminKubeconfig).Get(context.Background(), other, metav1.GetOptions{})
	if err != nil || kube.IsApproved(csr) || len(csr.Status.Conditions) != 0 {
		t.Errorf("the CSR no policy covers: %v %+v, want it left pending", err, csr.Status.Conditions)
	}
}

// TestApproverReplicasDecideOnce runs two --watch replicas; every CSR is
// decided by exactly one of them.
func TestApproverReplicasDecideOnce(t *testing.T) {
	c := sharedCluster(t)
	sa := serviceAccountKubeconfig(t, c, "team-a", "builder")
	policies := writeConfig(t, teamPolicy)
	ports := []string{freePort(t), freePort(t)}
	outs := newOutputs(2)
	var cmds []*exec.Cmd
	stopAll := func() {
		for _, cmd := range cmds {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
		cmds = nil
	}
	defer stopAll()
	for i, port := range ports {
		args := []string{"approve", "--policy", policies, "--watch", "--json", "--lease-duration=2s",
			"--lease-name=replicas-" + strings.ReplaceAll(filepath.Base(policies), "_", "-"), "--metrics-addr=127.0.0.1:" + port}
		cmd := certformCmd(".", c.AdminKubeconfig, args...)
		cmd.Stdout, cmd.Stderr = outs.writer(i), outs.writer(i)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	var hcl strings.Builder
	for i := 0; i < 6; i++ {
		hcl.WriteString(servingCert(fmt.Sprintf("r%d", i), fmt.Sprintf("r%d.team-a.svc", i)))
	}
	dir := writeConfig(t, hcl.String())
	r := certform(t, dir, sa, "apply", "--auto-approve", "--wait-timeout=90s")
	if r.code != exitOK {
		t.Fatalf("apply waiting for the approver replicas\n%s\n--- replica 0\n%s\n--- replica 1\n%s", r, outs.String(0), outs.String(1))
	}
	st := readState(t, dir)
	// A replica counts a decision before it prints it: once every CSR's
	// decision is printed, the counters hold them all.
	outs.waitFor(t, "the replicas printing their decisions", func(o []string) bool {
		for _, rec := range st.Certificates {
			if !strings.Contains(o[0]+o[1], `"csr":"`+rec.CSRName+`"`) {
				return false
			}
		}
		return true
	})
	approved := 0
	for i, port := range ports {
		metrics := scrape(t, "http://127.0.0.1:"+port+"/metrics")
		got, want := metricValue(t, metrics, `certform_approver_decisions_total{verdict="approve"}`), strings.Count(outs.String(i), `"verdict":"approve"`)
		if got != want {
			t.Errorf("replica %d counts %d approvals and printed %d; metrics:\n%s", i, got, want, metrics)
		}
		if timed := metricValue(t, metrics, `certform_approver_decision_duration_seconds_count{verdict="approve"}`); timed != got {
			t.Errorf("replica %d timed %d approvals and counted %d", i, timed, got)
		}
		approved += got
	}
	stopAll()
	all := outs.String(0) + outs.String(1)
	if line := klogHeader.FindString(all); line != "" {
		t.Errorf("the replicas print klog's own lines (client-go's logging is certform's):\n%s", all)
	}
	for addr, rec := range st.Certificates {
		if n := strings.Count(all, `"csr":"`+rec.CSRName+`"`); n != 1 {
			t.Errorf("%s (%s) was decided %d times across the replicas", addr, rec.CSRName, n)
		}
	}
	if approved != len(st.Certificates) {
		t.Errorf("the replicas' metrics count %d approvals, want %d", approved, len(st.Certificates))
	}
}

// metricValue is the value of the sample named series (with its labels)
// in a Prometheus text exposition.
func metricValue(t *testing.T, metrics, series string) int {
	t.Helper()
	for _, line := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("metric %s = %q: %v", series, v, err)
			}
			return n
		}
	}
	t.Fatalf("no metric %s in\n%s", series, metrics)
	return 0
}

func csrClient(t *testing.T, kubeconfig string) kube.CSRs {
	t.Helper()
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	return cs.CertificatesV1().CertificateSigningRequests()
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}

// TestApproverExampleRBAC creates the example Deployment's ServiceAccount
// and RBAC objects exactly as written in examples/approver/deployment.yaml,
// runs the approver as that service account with the example policies, and
// checks that it can decide (and lead) with no more than those rights.
func TestApproverExampleRBAC(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "certform")
	_, kinds := createObjects(t, c.AdminKubeconfig, "../../examples/approver/deployment.yaml")
	if kinds["Deployment"] != 1 || kinds["ClusterRole"] != 1 {
		t.Fatalf("example objects: %v", kinds)
	}
	approverKubeconfig := tokenKubeconfig(t, c, "certform", "certform-approver")
	cmd := certformCmd(".", approverKubeconfig, "approve", "--policy", "../../examples/approver/policies", "--watch",
		"--lease-namespace", "certform", "--lease-name", "example-rbac", "--lease-duration=2s")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
	}
	defer stop()

	sa := serviceAccountKubeconfig(t, c, "team-a", "builder")
	dir := writeConfig(t, servingCert("rbac", "rbac.team-a.svc"))
	r := certform(t, dir, sa, "apply", "--auto-approve", "--wait-timeout=90s")
	stop() // before reading what it printed
	if r.code != exitOK {
		t.Fatalf("apply waiting for the example approver\n%s\n--- approver\n%s", r, out.String())
	}
	if strings.Contains(out.String(), "is forbidden") || !strings.Contains(out.String(), `approve: approved by certform policy "team-a-serving"`) {
		t.Errorf("the example approver did not decide with its own rights:\n%s", out.String())
	}
}

// tokenKubeconfig returns a kubeconfig for an existing service account.
func tokenKubeconfig(t *testing.T, c *testcluster.Cluster, ns, name string) string {
	t.Helper()
	cs, err := c.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), name, &authv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.LoadFromFile(c.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, ai := range cfg.AuthInfos {
		ai.ClientCertificateData, ai.ClientKeyData, ai.Token = nil, nil, tok.Status.Token
	}
	path := filepath.Join(t.TempDir(), name+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func clientsetFor(t *testing.T, kubeconfig string) kubernetes.Interface {
	t.Helper()
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestApproverLeaseDurationBounds: a lease too short to renew sanely (or
// absurdly long) is refused before anything runs, not logged 200 times a
// second.
func TestApproverLeaseDurationBounds(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.hcl"), []byte(teamPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]string{"too short": "1ms", "too long": "24h", "negative": "-1s"} {
		t.Run(name, func(t *testing.T) {
			r := certform(t, dir, "", "approve", "--policy", "p.hcl", "--watch", "--lease-duration", d)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r)
			}
			mustContain(t, r, "--lease-duration", "out of range", "certform: hint: use between 2s and 10m0s")
		})
	}
}
