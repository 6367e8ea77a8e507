package approver

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	authzv1 "k8s.io/api/authorization/v1"
	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/certform/certform/internal/kube"
)

// ClusterView is what context rules read from the cluster. Lookups return
// nil (or nothing) and no error when the object does not exist; an error
// means the cluster could not be read, and nothing is decided.
type ClusterView interface {
	Service(ctx context.Context, namespace, name string) (*corev1.Service, error)
	ServicesWithIP(ctx context.Context, namespace string, ip netip.Addr) ([]*corev1.Service, error)
	PodsWithIP(ctx context.Context, namespace string, ip netip.Addr) ([]*corev1.Pod, error)
	Node(ctx context.Context, name string) (*corev1.Node, error)
	// Allowed asks the apiserver whether csr's requester may do rule.
	Allowed(ctx context.Context, csr *certv1.CertificateSigningRequest, rule RBACRule) (bool, string, error)
}

// Cluster is the ClusterView of a live cluster. It reads through shared
// informer caches, started only for the kinds the policies' rules need, so
// an allowed request costs no API request. A miss is confirmed with a live
// read before it denies anything: a Service created a moment before its
// CSR must not be denied because the cache has not seen it yet.
type Cluster struct {
	client   kubernetes.Interface
	needs    []kube.Access
	factory  informers.SharedInformerFactory
	services cache.SharedIndexInformer
	pods     cache.SharedIndexInformer
	nodes    cache.SharedIndexInformer
}

const byNamespacedIP = "namespaced-ip"

// NewCluster prepares the caches policies need; Start fills them.
func NewCluster(client kubernetes.Interface, policies []*Policy) *Cluster {
	c := &Cluster{client: client, factory: informers.NewSharedInformerFactory(client, 0)}
	var services, pods, nodes bool
	for _, p := range policies {
		if r := p.Context; r != nil {
			services = services || r.Services || r.WorkloadIPs
			pods = pods || r.WorkloadIPs
			nodes = nodes || r.NodeAddresses
		}
	}
	read := func(resource, why string) {
		for _, verb := range []string{"get", "list", "watch"} {
			c.needs = append(c.needs, kube.Access{Verb: verb, Resource: resource, Why: why})
		}
	}
	for _, p := range policies {
		if p.Context != nil && p.Context.RBAC != nil {
			c.needs = append(c.needs, kube.Access{Verb: "create", Group: "authorization.k8s.io",
				Resource: "subjectaccessreviews", Why: "check policy " + p.Name + "'s rbac rule"})
			break
		}
	}
	if services {
		read("services", "check DNS names and ClusterIPs against Services (context rules services, workload_ips)")
		c.services = c.factory.Core().V1().Services().Informer()
		c.services.AddIndexers(cache.Indexers{byNamespacedIP: func(obj any) ([]string, error) {
			s := obj.(*corev1.Service)
			return namespacedIPs(s.Namespace, s.Spec.ClusterIPs), nil
		}})
	}
	if pods {
		read("pods", "check IP addresses against Pods (context rule workload_ips)")
		c.pods = c.factory.Core().V1().Pods().Informer()
		// A fleet's Pods are many; keep only what the rules read.
		c.pods.SetTransform(func(obj any) (any, error) {
			p, ok := obj.(*corev1.Pod)
			if !ok {
				return obj, nil
			}
			return &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion},
				Spec:       corev1.PodSpec{ServiceAccountName: p.Spec.ServiceAccountName, HostNetwork: p.Spec.HostNetwork},
				Status:     corev1.PodStatus{Phase: p.Status.Phase, PodIP: p.Status.PodIP, PodIPs: p.Status.PodIPs},
			}, nil
		})
		c.pods.AddIndexers(cache.Indexers{byNamespacedIP: func(obj any) ([]string, error) {
			return namespacedIPs(obj.(*corev1.Pod).Namespace, podIPs(obj.(*corev1.Pod))), nil
		}})
	}
	if nodes {
		read("nodes", "check names against Nodes (context rule node_addresses)")
		c.nodes = c.factory.Core().V1().Nodes().Informer()
	}
	return c
}

// Start checks that the approver may read what the caches hold (a cache
// without the right to list its kind would wait for ever), starts them,
// and waits until each has listed its kind once.
func (c *Cluster) Start(ctx context.Context) error {
	if len(c.needs) > 0 {
		missing, err := kube.CheckAccess(ctx, c.client.AuthorizationV1().SelfSubjectAccessReviews(), c.needs)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return &kube.AccessError{Missing: missing, For: "for the policies' context rules"}
		}
	}
	c.factory.Start(ctx.Done())
	for kind, synced := range c.factory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			return fmt.Errorf("the %s cache did not fill before the approver stopped", kind)
		}
	}
	return nil
}

func podIPs(p *corev1.Pod) []string {
	ips := []string{p.Status.PodIP}
	for _, ip := range p.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	return ips
}

// namespacedIPs are the index keys of addresses in namespace: NS/IP, the IP
// in its canonical form.
func namespacedIPs(namespace string, addresses []string) []string {
	var keys []string
	for _, a := range addresses {
		if ip, err := netip.ParseAddr(a); err == nil {
			keys = append(keys, namespace+"/"+ip.Unmap().String())
		}
	}
	return keys
}

// Service implements ClusterView.
func (c *Cluster) Service(ctx context.Context, namespace, name string) (*corev1.Service, error) {
	if c.services != nil {
		if obj, ok, _ := c.services.GetStore().GetByKey(namespace + "/" + name); ok {
			return obj.(*corev1.Service), nil
		}
	}
	s, err := c.client.CoreV1().Services(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Service %s/%s: %w", namespace, name, err)
	}
	return s, nil
}

// ServicesWithIP implements ClusterView.
func (c *Cluster) ServicesWithIP(ctx context.Context, namespace string, ip netip.Addr) ([]*corev1.Service, error) {
	key := namespace + "/" + ip.String()
	if c.services != nil {
		if objs, _ := c.services.GetIndexer().ByIndex(byNamespacedIP, key); len(objs) > 0 {
			return typed[*corev1.Service](objs), nil
		}
	}
	list, err := c.client.CoreV1().Services(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the Services of %s: %w", namespace, err)
	}
	var found []*corev1.Service
	for i := range list.Items {
		if slices.Contains(namespacedIPs(namespace, list.Items[i].Spec.ClusterIPs), key) {
			found = append(found, &list.Items[i])
		}
	}
	return found, nil
}

// PodsWithIP implements ClusterView.
func (c *Cluster) PodsWithIP(ctx context.Context, namespace string, ip netip.Addr) ([]*corev1.Pod, error) {
	key := namespace + "/" + ip.String()
	if c.pods != nil {
		if objs, _ := c.pods.GetIndexer().ByIndex(byNamespacedIP, key); len(objs) > 0 {
			return typed[*corev1.Pod](objs), nil
		}
	}
	list, err := c.client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("status.podIP", ip.String()).String()})
	if err != nil {
		return nil, fmt.Errorf("listing the Pods of %s with IP %s: %w", namespace, ip, err)
	}
	var found []*corev1.Pod
	for i := range list.Items {
		found = append(found, &list.Items[i])
	}
	return found, nil
}

// Node implements ClusterView.
func (c *Cluster) Node(ctx context.Context, name string) (*corev1.Node, error) {
	if c.nodes != nil {
		if obj, ok, _ := c.nodes.GetStore().GetByKey(name); ok {
			return obj.(*corev1.Node), nil
		}
	}
	n, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Node %s: %w", name, err)
	}
	return n, nil
}

// Allowed implements ClusterView with a SubjectAccessReview for the
// requester exactly as the apiserver recorded it.
func (c *Cluster) Allowed(ctx context.Context, csr *certv1.CertificateSigningRequest, rule RBACRule) (bool, string, error) {
	extra := map[string]authzv1.ExtraValue{}
	for k, v := range csr.Spec.Extra {
		extra[k] = authzv1.ExtraValue(v)
	}
	review := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		User: csr.Spec.Username, Groups: csr.Spec.Groups, UID: csr.Spec.UID, Extra: extra,
		ResourceAttributes: &authzv1.ResourceAttributes{Verb: rule.Verb, Group: rule.Group,
			Resource: rule.Resource, Name: rule.Name, Namespace: rule.Namespace},
	}}
	got, err := c.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return false, "", fmt.Errorf("asking whether %s may %s: %w", csr.Spec.Username, rule, err)
	}
	return got.Status.Allowed, got.Status.Reason, nil
}

func typed[T any](objs []any) []T {
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.(T))
	}
	return out
}
