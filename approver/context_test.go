package approver

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"strings"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/testcluster"
)

// contextPolicies judge names by the cluster: any Service-shaped name is
// allowed by the lists, so that the context rules alone decide.
const contextPolicies = `
policy "workloads" {
  signer_names = ["example.com/ctx-workloads"]
  requesters { service_accounts = ["*:*"] }
  allowed {
    dns_names      = ["*", "*.*", "*.*.svc", "*.*.svc.cluster.local"]
    ip_ranges      = ["0.0.0.0/0", "::/0"]
    common_names   = ["*"]
    usages         = ["digital signature", "server auth"]
    key_algorithms = ["ecdsa"]
  }
  context {
    services     = true
    workload_ips = true
  }
}

policy "nodes" {
  signer_names = ["kubernetes.io/kubelet-serving"]
  requesters { groups = ["system:nodes"] }
  allowed {
    dns_names      = ["*"]
    ip_ranges      = ["0.0.0.0/0"]
    common_names   = ["system:node:*"]
    organizations  = ["system:nodes"]
    usages         = ["digital signature", "key encipherment", "server auth"]
    key_algorithms = ["ecdsa"]
  }
  context { node_addresses = true }
}

policy "rbac-bound" {
  signer_names = ["example.com/ctx-rbac"]
  requesters { service_accounts = ["*:*"] }
  allowed {
    dns_names      = ["*.${requester.namespace}.svc"]
    common_names   = ["${requester.service_account}"]
    usages         = ["digital signature", "server auth"]
    key_algorithms = ["ecdsa"]
  }
  context {
    rbac {
      verb      = "use"
      group     = "certform.io"
      resource  = "policies"
      name      = "rbac-bound"
      namespace = "${requester.namespace}"
    }
  }
}
`

// identity is who a test CSR is created as (by impersonation).
type identity struct {
	user   string
	groups []string
}

func serviceAccount(ns, name string) identity {
	return identity{"system:serviceaccount:" + ns + ":" + name,
		[]string{"system:serviceaccounts", "system:serviceaccounts:" + ns}}
}

// workloads is what the context cases run against.
type workloads struct {
	apiIP, otherTeamIP string // ClusterIPs of team-a/api and team-b/api
}

const (
	webPodIP      = "10.244.7.5"    // Pod team-a/web, runs as api
	intruderPodIP = "10.244.7.6"    // Pod team-a/intruder, runs as other
	pendingPodIP  = "10.244.7.7"    // Pod team-a/pending, runs as api, Pending
	hostPodIP     = "192.168.77.11" // Pod team-a/hostnet, runs as api on the host network: a Node's IP
	nodeIP        = "192.168.77.10"
)

// TestContextRulesRealCluster: Services, Pods and a Node exist in a real
// cluster, and CSRs created as the requesters they name are decided by
// Once with the informer-backed view, each denial naming its rule and the
// object that was missing or foreign.
func TestContextRulesRealCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	admin := adminClient(t)
	w := makeWorkloads(t, ctx, admin)
	policies, err := loadPolicyText(t, contextPolicies)
	if err != nil {
		t.Fatal(err)
	}
	view := NewCluster(admin, policies)
	if err := view.Start(ctx); err != nil {
		t.Fatal(err)
	}
	teamA := serviceAccount("team-a", "api")
	node := identity{"system:node:ctx-node-a", []string{"system:nodes"}}
	cases := []struct {
		name   string
		as     identity
		signer string
		dns    []string
		ips    []string
		cn     string
		want   string // "approve" or the denying rule
		found  string // what the denial must say
	}{
		{"own Service and its ClusterIP", teamA, "example.com/ctx-workloads", []string{"api.team-a.svc", "api.team-a.svc.cluster.local", "api"}, []string{w.apiIP}, "api", "approve", ""},
		{"own Pod's IP", teamA, "example.com/ctx-workloads", []string{"api.team-a"}, []string{webPodIP}, "api", "approve", ""},
		{"Service that does not exist", teamA, "example.com/ctx-workloads", []string{"nope.team-a.svc"}, nil, "api", "services", "Service team-a/nope not found"},
		{"Service of team-b", teamA, "example.com/ctx-workloads", []string{"api.team-b.svc"}, nil, "api", "services", "Service team-b/api, outside the requester's namespace team-a"},
		{"ClusterIP of team-b", teamA, "example.com/ctx-workloads", nil, []string{w.otherTeamIP}, "api", "workload_ips", "neither the ClusterIP of a Service of team-a"},
		{"Pod running as another account", teamA, "example.com/ctx-workloads", nil, []string{intruderPodIP}, "api", "workload_ips", "Pod team-a/intruder, which runs as service account other, not api"},
		{"Pod on the host network", teamA, "example.com/ctx-workloads", nil, []string{hostPodIP}, "api", "workload_ips", "Pod team-a/hostnet, which uses the host network"},
		{"Pod not running", teamA, "example.com/ctx-workloads", nil, []string{pendingPodIP}, "api", "workload_ips", "Pod team-a/pending, which is Pending"},
		{"a user is no service account", identity{"alice", []string{"dev"}}, "example.com/ctx-workloads", []string{"api.team-a.svc"}, nil, "api", "skip", ""},
		{"node's own addresses", node, "kubernetes.io/kubelet-serving", []string{"ctx-node-a"}, []string{nodeIP}, "system:node:ctx-node-a", "approve", ""},
		{"another node's name", node, "kubernetes.io/kubelet-serving", []string{"ctx-node-b"}, nil, "system:node:ctx-node-a", "node_addresses", `DNS name "ctx-node-b" is not an address of Node ctx-node-a`},
		{"node CN not its own", node, "kubernetes.io/kubelet-serving", []string{"ctx-node-a"}, nil, "system:node:ctx-node-b", "node_addresses", "is not the requesting node's username"},
		{"node that does not exist", identity{"system:node:ctx-ghost", []string{"system:nodes"}}, "kubernetes.io/kubelet-serving", []string{"ctx-ghost"}, nil, "system:node:ctx-ghost", "node_addresses", "Node ctx-ghost not found"},
		{"RBAC rule not granted", teamA, "example.com/ctx-rbac", []string{"api.team-a.svc"}, nil, "api", "rbac", `may not use policies.certform.io/rbac-bound in namespace team-a`},
	}
	names := map[string]int{}
	for i, c := range cases {
		name := "ctx-" + strings.ReplaceAll(strings.ToLower(c.name), " ", "-")
		names[name] = i
		createAs(t, ctx, c.as, csrFor(t, name, c.signer, c.cn, c.dns, c.ips))
	}
	events := watchEvents(t, ctx, admin)
	if err := Once(ctx, Options{CSRs: admin.CertificatesV1().CertificateSigningRequests(), Policies: policies,
		Cluster: view, Events: NewEventRecorder(ctx, admin)}); err != nil {
		t.Fatal(err)
	}
	for name, i := range names {
		c := cases[i]
		t.Run(c.name, func(t *testing.T) {
			got, message := verdictOf(t, ctx, admin, name)
			if got != c.want || !strings.Contains(message, c.found) {
				t.Errorf("got %s %q, want %s with %q", got, message, c.want, c.found)
			}
			switch c.want {
			case "skip":
			case "approve":
				events.await(t, ctx, name, "CertformApproved")
			default:
				events.await(t, ctx, name, "CertformDenied")
			}
		})
	}

	// The view falls back to live reads on a cache miss; without caches
	// every read is live, and must judge every case the same.
	t.Run("live reads agree with the caches", func(t *testing.T) {
		live := NewCluster(admin, nil)
		for name, i := range names {
			csr, err := admin.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			csr.Status.Conditions = nil // judge it afresh
			d, err := DecideIn(ctx, csr, policies, live, false)
			if err != nil {
				t.Fatal(err)
			}
			got := d.Rule
			if d.Verdict != Deny {
				got = string(d.Verdict)
			}
			if got != cases[i].want {
				t.Errorf("%s: live view says %s (%s), want %s", cases[i].name, got, d.Message, cases[i].want)
			}
		}
	})

	// plan --policy predicts with the requester the credentials in use
	// authenticate as: each prediction must be the verdict the approver
	// gave the CSR once submitted.
	t.Run("predictions agree with the verdicts", func(t *testing.T) {
		for name, i := range names {
			c := cases[i]
			who, err := WhoAmI(ctx, impersonate(t, c.as))
			if err != nil {
				t.Fatal(err)
			}
			pr := &Predictor{Policies: policies, View: view, Who: who}
			p := Planned{Request: pki.Request{Subject: pkix.Name{CommonName: c.cn}, Hosts: append(append([]string{}, c.dns...), c.ips...)},
				Key: pki.KeySpec{Algorithm: pki.ECDSA, Size: 256}, SignerName: c.signer,
				Usages: []string{"digital signature", "server auth"}, ExpirationSeconds: 3600}
			if strings.HasPrefix(c.cn, "system:node:") {
				p.Request.Subject.Organization = []string{"system:nodes"}
				p.Usages = []string{"digital signature", "key encipherment", "server auth"}
			}
			d, err := pr.Predict(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			got, message := string(d.Verdict), d.Message
			if d.Verdict == Deny {
				got = d.Rule
			}
			actual, actualMessage := verdictOf(t, ctx, admin, name)
			if got != actual || message != actualMessage && actual != "skip" {
				t.Errorf("%s: predicted %s %q, the approver decided %s %q", c.name, got, message, actual, actualMessage)
			}
		}
	})

	t.Run("RBAC rule granted", func(t *testing.T) {
		grantUse(t, ctx, admin, "team-a", "api", "rbac-bound")
		createAs(t, ctx, teamA, csrFor(t, "ctx-rbac-granted", "example.com/ctx-rbac", "api", []string{"api.team-a.svc"}, nil))
		if err := Once(ctx, Options{CSRs: admin.CertificatesV1().CertificateSigningRequests(), Policies: policies, Cluster: view}); err != nil {
			t.Fatal(err)
		}
		if got, message := verdictOf(t, ctx, admin, "ctx-rbac-granted"); got != "approve" {
			t.Errorf("after the RoleBinding: got %s %q, want approve", got, message)
		}
	})
}

// makeWorkloads creates namespaces team-a and team-b, a Service api in
// each, Pods in team-a with IPs and phases set through the status
// subresource, and a Node with addresses.
func makeWorkloads(t *testing.T, ctx context.Context, cs kubernetes.Interface) workloads {
	t.Helper()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	var w workloads
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "ctx-create-csrs"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"certificatesigningrequests"}, Verbs: []string{"create"}}}}
	must(cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}))
	must(cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "system:authenticated"}}}, metav1.CreateOptions{}))
	awaitAllowed(t, ctx, cs, serviceAccount("team-a", "api"), RBACRule{Verb: "create", Group: "certificates.k8s.io", Resource: "certificatesigningrequests"})
	for _, ns := range []string{"team-a", "team-b"} {
		must(cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
		for _, sa := range []string{"api", "other"} {
			must(cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}))
		}
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "api"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 443}}}}
		must(cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}))
		got, err := cs.CoreV1().Services(ns).Get(ctx, "api", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ns == "team-a" {
			w.apiIP = got.Spec.ClusterIP
		} else {
			w.otherTeamIP = got.Spec.ClusterIP
		}
	}
	for _, p := range []struct {
		name, sa, ip string
		phase        corev1.PodPhase
		hostNetwork  bool
	}{{"web", "api", webPodIP, corev1.PodRunning, false}, {"intruder", "other", intruderPodIP, corev1.PodRunning, false},
		{"pending", "api", pendingPodIP, corev1.PodPending, false}, {"hostnet", "api", hostPodIP, corev1.PodRunning, true}} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: "team-a"},
			Spec: corev1.PodSpec{ServiceAccountName: p.sa, AutomountServiceAccountToken: new(bool), HostNetwork: p.hostNetwork,
				Containers: []corev1.Container{{Name: "c", Image: "example.invalid/none"}}}}
		must(cs.CoreV1().Pods("team-a").Create(ctx, pod, metav1.CreateOptions{}))
		got, err := cs.CoreV1().Pods("team-a").Get(ctx, p.name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got.Status.Phase, got.Status.PodIP, got.Status.PodIPs = p.phase, p.ip, []corev1.PodIP{{IP: p.ip}}
		must(cs.CoreV1().Pods("team-a").UpdateStatus(ctx, got, metav1.UpdateOptions{}))
	}
	must(cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "ctx-node-a"}}, metav1.CreateOptions{}))
	n, err := cs.CoreV1().Nodes().Get(ctx, "ctx-node-a", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "ctx-node-a"}, {Type: corev1.NodeInternalIP, Address: nodeIP}}
	must(cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}))
	t.Cleanup(func() {
		bg := context.Background()
		cs.CoreV1().Nodes().Delete(bg, "ctx-node-a", metav1.DeleteOptions{})
		for _, ns := range []string{"team-a", "team-b"} {
			cs.CoreV1().Namespaces().Delete(bg, ns, metav1.DeleteOptions{})
		}
	})
	return w
}

func csrFor(t *testing.T, name, signer, cn string, dnsNames, ips []string) *certv1.CertificateSigningRequest {
	t.Helper()
	csr := crafted{signer: signer, usages: []string{"digital signature", "server auth"}, tmpl: func(r *x509.CertificateRequest) {
		r.Subject.CommonName, r.Subject.OrganizationalUnit, r.DNSNames = cn, nil, dnsNames
		r.Subject.Organization = nil
		if strings.HasPrefix(cn, "system:node:") {
			r.Subject.Organization = []string{"system:nodes"}
		}
		for _, ip := range ips {
			r.IPAddresses = append(r.IPAddresses, net.ParseIP(ip))
		}
	}}.build(t, name)
	if signer == "kubernetes.io/kubelet-serving" {
		csr.Spec.Usages = []certv1.KeyUsage{"digital signature", "key encipherment", "server auth"}
	}
	csr.Spec.Username, csr.Spec.Groups = "", nil
	return csr
}

// impersonate is a client acting as who.
func impersonate(t *testing.T, who identity) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", testcluster.Shared(t).AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Impersonate = rest.ImpersonationConfig{UserName: who.user, Groups: who.groups}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// createAs creates csr impersonating who, so that the apiserver records
// who as its requester.
func createAs(t *testing.T, ctx context.Context, who identity, csr *certv1.CertificateSigningRequest) {
	t.Helper()
	cs := impersonate(t, who)
	if _, err := cs.CertificatesV1().CertificateSigningRequests().Create(ctx, csr, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating %s as %s: %v", csr.Name, who.user, err)
	}
	t.Cleanup(func() {
		adminClient(t).CertificatesV1().CertificateSigningRequests().Delete(context.Background(), csr.Name, metav1.DeleteOptions{})
	})
}

// verdictOf reads the condition certform wrote on CSR name.
func verdictOf(t *testing.T, ctx context.Context, cs kubernetes.Interface, name string) (string, string) {
	t.Helper()
	csr, err := cs.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range csr.Status.Conditions {
		switch c.Type {
		case certv1.CertificateApproved:
			return "approve", c.Message
		case certv1.CertificateDenied:
			rule := "deny"
			if _, rest, ok := strings.Cut(c.Message, `": `); ok {
				rule, _, _ = strings.Cut(rest, ":")
			}
			return rule, c.Message
		}
	}
	return "skip", ""
}

// grantUse binds verb use on policies.certform.io/policy to the service
// account in its namespace, and waits until the authorizer says so.
func grantUse(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, sa, policy string) {
	t.Helper()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "use-" + policy}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"certform.io"}, Resources: []string{"policies"}, ResourceNames: []string{policy}, Verbs: []string{"use"}}}}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "use-" + policy},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: sa}}}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	awaitAllowed(t, ctx, cs, serviceAccount(ns, sa), RBACRule{Verb: "use", Group: "certform.io", Resource: "policies", Name: policy, Namespace: ns})
}

// awaitAllowed waits until the authorizer allows who rule: it reads RBAC
// through its own informers, so a new binding takes effect a moment later.
func awaitAllowed(t *testing.T, ctx context.Context, cs kubernetes.Interface, who identity, rule RBACRule) {
	t.Helper()
	csr := &certv1.CertificateSigningRequest{Spec: certv1.CertificateSigningRequestSpec{
		Username: who.user, Groups: append([]string{"system:authenticated"}, who.groups...)}}
	view := NewCluster(cs, nil)
	if err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		ok, _, err := view.Allowed(ctx, csr, rule)
		return ok, err
	}); err != nil {
		t.Fatalf("RBAC never allowed %s to %s: %v", who.user, rule, err)
	}
}

// TestClusterStartNamesMissingPermissions: an approver that may not list
// what its context rules read says which rules to grant, instead of
// waiting for ever for caches that cannot fill.
func TestClusterStartNamesMissingPermissions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := clientcmd.BuildConfigFromFlags("", testcluster.Shared(t).RestrictedKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	restricted, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	policies, err := loadPolicyText(t, contextPolicies)
	if err != nil {
		t.Fatal(err)
	}
	err = NewCluster(restricted, policies).Start(ctx)
	if err == nil {
		t.Fatal("Start succeeded without the rights to list Services, Pods and Nodes")
	}
	for _, want := range []string{"for the policies' context rules", "cannot list services", "cannot watch pods",
		"cannot get nodes", "cannot create subjectaccessreviews.authorization.k8s.io"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
