package approver

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// ContextRules are a policy's checks against the cluster itself: that the
// requester is authorised to act in the context it asks a certificate for.
// Each is opt-in, and each runs only after every rule of allowed passed.
type ContextRules struct {
	// Services: every DNS name must name a Service of the requester's own
	// namespace that exists: SVC, SVC.NS, SVC.NS.svc or
	// SVC.NS.svc.CLUSTER_DOMAIN.
	Services bool
	// WorkloadIPs: every IP address must be a ClusterIP of a Service of the
	// requester's namespace, or the IP of a running Pod there that runs as
	// the requesting service account (not on the host network, whose IP
	// is the Node's).
	WorkloadIPs bool
	// NodeAddresses: the requester must be a node (system:node:NAME), the
	// common name its username, and every DNS name and IP one of that
	// Node's addresses.
	NodeAddresses bool
	// ClusterDomain is the cluster's DNS domain (default cluster.local).
	ClusterDomain string
	// RBAC, when set, must be allowed to the requester (SubjectAccessReview).
	RBAC *RBACRule
}

// RBACRule is a verb on a resource the requester must be allowed, so that
// who may use a policy is granted with RBAC (for example verb "use" on
// resource "policies" of group "certform.io", named after the policy).
// Name and Namespace may refer to the requester.
type RBACRule struct {
	Verb      string `hcl:"verb"`
	Group     string `hcl:"group,optional"`
	Resource  string `hcl:"resource"`
	Name      string `hcl:"name,optional"`
	Namespace string `hcl:"namespace,optional"`
}

// used reports whether any context rule is set.
func (c *ContextRules) used() bool {
	return c != nil && (c.Services || c.WorkloadIPs || c.NodeAddresses || c.RBAC != nil)
}

// contextRule is one named check against the cluster. It returns what it
// found that is not allowed, or "", and an error when the cluster could not
// be read: then nothing is decided and the CSR is tried again.
type contextRule struct {
	name  string
	on    func(*ContextRules) bool
	check func(ctx context.Context, v ClusterView, c *ContextRules, r *request, who requester) (string, error)
}

var contextRules = []contextRule{
	{"services", func(c *ContextRules) bool { return c.Services }, checkServices},
	{"workload_ips", func(c *ContextRules) bool { return c.WorkloadIPs }, checkWorkloadIPs},
	{"node_addresses", func(c *ContextRules) bool { return c.NodeAddresses }, checkNodeAddresses},
	{"rbac", func(c *ContextRules) bool { return c.RBAC != nil }, checkRBAC},
}

// serviceOf reads a DNS name as a Service's: the service and namespace it
// names, or why it names none.
func serviceOf(name, domain, requesterNS string) (svc, ns, why string) {
	labels := strings.Split(name, ".")
	switch {
	case strings.HasPrefix(name, "*."):
		return "", "", fmt.Sprintf("wildcard DNS name %q names no one Service", name)
	case len(labels) == 1:
		return labels[0], requesterNS, ""
	case len(labels) == 2:
		return labels[0], labels[1], ""
	case len(labels) == 3 && labels[2] == "svc":
		return labels[0], labels[1], ""
	case len(labels) > 3 && labels[2] == "svc" && strings.Join(labels[3:], ".") == domain:
		return labels[0], labels[1], ""
	}
	return "", "", fmt.Sprintf("DNS name %q is not a Service name (SVC, SVC.NS, SVC.NS.svc or SVC.NS.svc.%s)", name, domain)
}

func checkServices(ctx context.Context, v ClusterView, c *ContextRules, r *request, who requester) (string, error) {
	if who.Namespace == "" {
		return fmt.Sprintf("requester %q is not a service account, so no namespace's Services are its own", who.Username), nil
	}
	for _, name := range r.x509.DNSNames {
		svc, ns, why := serviceOf(name, c.domain(), who.Namespace)
		if why != "" {
			return why, nil
		}
		if ns != who.Namespace {
			return fmt.Sprintf("DNS name %q names Service %s/%s, outside the requester's namespace %s", name, ns, svc, who.Namespace), nil
		}
		found, err := v.Service(ctx, ns, svc)
		if err != nil {
			return "", err
		}
		if found == nil {
			return fmt.Sprintf("DNS name %q: Service %s/%s not found", name, ns, svc), nil
		}
	}
	return "", nil
}

func checkWorkloadIPs(ctx context.Context, v ClusterView, c *ContextRules, r *request, who requester) (string, error) {
	if who.Namespace == "" {
		return fmt.Sprintf("requester %q is not a service account, so no workload IPs are its own", who.Username), nil
	}
	for _, raw := range r.x509.IPAddresses {
		ip, _ := netip.AddrFromSlice(raw)
		why, err := workloadIP(ctx, v, ip.Unmap(), who)
		if why != "" || err != nil {
			return why, err
		}
	}
	return "", nil
}

// workloadIP says why ip is not the requester's workload's, or "".
func workloadIP(ctx context.Context, v ClusterView, ip netip.Addr, who requester) (string, error) {
	services, err := v.ServicesWithIP(ctx, who.Namespace, ip)
	if err != nil || len(services) > 0 {
		return "", err
	}
	pods, err := v.PodsWithIP(ctx, who.Namespace, ip)
	if err != nil {
		return "", err
	}
	why := fmt.Sprintf("IP address %s is neither the ClusterIP of a Service of %s nor the IP of a running Pod of service account %s/%s",
		ip, who.Namespace, who.Namespace, who.ServiceAccount)
	for _, p := range pods {
		sa := p.Spec.ServiceAccountName
		if sa == "" {
			sa = "default"
		}
		switch {
		case p.Spec.HostNetwork:
			// Its IP is its Node's, shared with the kubelet and every
			// other Pod on the host network: not the workload's own.
			why = fmt.Sprintf("IP address %s belongs to Pod %s/%s, which uses the host network: the IP is its Node's, not the workload's own", ip, p.Namespace, p.Name)
		case sa != who.ServiceAccount:
			why = fmt.Sprintf("IP address %s belongs to Pod %s/%s, which runs as service account %s, not %s", ip, p.Namespace, p.Name, sa, who.ServiceAccount)
		case p.Status.Phase != corev1.PodRunning:
			why = fmt.Sprintf("IP address %s belongs to Pod %s/%s, which is %s, not Running", ip, p.Namespace, p.Name, p.Status.Phase)
		default:
			return "", nil
		}
	}
	return why, nil
}

func checkNodeAddresses(ctx context.Context, v ClusterView, _ *ContextRules, r *request, who requester) (string, error) {
	if who.Node == "" {
		return fmt.Sprintf("requester %q is not a node (system:node:NAME)", who.Username), nil
	}
	if r.x509.Subject.CommonName != who.Username {
		return fmt.Sprintf("common name %q is not the requesting node's username %q", r.x509.Subject.CommonName, who.Username), nil
	}
	node, err := v.Node(ctx, who.Node)
	if err != nil {
		return "", err
	}
	if node == nil {
		return fmt.Sprintf("Node %s not found", who.Node), nil
	}
	var names []string
	var ips []netip.Addr
	for _, a := range node.Status.Addresses {
		switch a.Type {
		case corev1.NodeHostName, corev1.NodeInternalDNS, corev1.NodeExternalDNS:
			names = append(names, strings.ToLower(a.Address))
		case corev1.NodeInternalIP, corev1.NodeExternalIP:
			if ip, err := netip.ParseAddr(a.Address); err == nil {
				ips = append(ips, ip.Unmap())
			}
		}
	}
	for _, n := range r.x509.DNSNames {
		if !slices.Contains(names, n) {
			return fmt.Sprintf("DNS name %q is not an address of Node %s (%s)", n, who.Node, listOrNone(names)), nil
		}
	}
	for _, raw := range r.x509.IPAddresses {
		ip, _ := netip.AddrFromSlice(raw)
		if !slices.Contains(ips, ip.Unmap()) {
			return fmt.Sprintf("IP address %s is not an address of Node %s", ip.Unmap(), who.Node), nil
		}
	}
	if len(r.x509.EmailAddresses)+len(r.x509.URIs) > 0 {
		return fmt.Sprintf("a node's serving certificate names only its addresses; e-mail addresses and URIs are not among Node %s's", who.Node), nil
	}
	return "", nil
}

func checkRBAC(ctx context.Context, v ClusterView, c *ContextRules, r *request, who requester) (string, error) {
	rule := *c.RBAC
	for _, f := range []*string{&rule.Name, &rule.Namespace} {
		expanded := who.expandTemplate(*f, forbiddenInPattern)
		if len(expanded) != 1 {
			return fmt.Sprintf("the RBAC rule refers to a requester attribute %q does not have", who.Username), nil
		}
		*f = expanded[0]
	}
	ok, reason, err := v.Allowed(ctx, r.csr, rule)
	if err != nil || ok {
		return "", err
	}
	msg := fmt.Sprintf("requester %q may not %s", who.Username, rule)
	if reason != "" {
		msg += " (" + reason + ")"
	}
	return msg, nil
}

// String spells the rule as kubectl auth can-i would take it.
func (r RBACRule) String() string {
	s := r.Verb + " " + r.Resource
	if r.Group != "" {
		s += "." + r.Group
	}
	if r.Name != "" {
		s += "/" + r.Name
	}
	if r.Namespace != "" {
		s += " in namespace " + r.Namespace
	}
	return s
}

func (c *ContextRules) domain() string {
	if c.ClusterDomain == "" {
		return "cluster.local"
	}
	return c.ClusterDomain
}
