package kube

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authzclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
)

// Access is one permission certform needs: a verb on a resource, in a
// namespace ("" for a cluster-scoped resource), optionally on one named
// object.
type Access struct {
	Verb      string
	Group     string // "" for the core group
	Resource  string // with a subresource after a slash: "certificatesigningrequests/approval"
	Namespace string
	Name      string // a resourceName, or "" for any
	// AltName is another resourceName that grants the same (a signer's
	// domain wildcard, "example.com/*"), or "".
	AltName string
	// Why says what certform needs it for, for messages.
	Why string
}

// String names the permission as kubectl auth can-i would.
func (a Access) String() string {
	res := a.Resource
	if a.Group != "" {
		base, sub, _ := strings.Cut(a.Resource, "/")
		res = base + "." + a.Group
		if sub != "" {
			res += "/" + sub
		}
	}
	if a.Name != "" {
		res += " " + a.Name
	}
	where := "cluster-wide"
	if a.Namespace != "" {
		where = "in namespace " + a.Namespace
	}
	return fmt.Sprintf("%s %s (%s)", a.Verb, res, where)
}

// Rule is an RBAC policy rule: of a ClusterRole when Namespace is "",
// else of a Role in Namespace.
type Rule struct {
	Namespace     string
	APIGroups     []string
	Resources     []string
	ResourceNames []string
	Verbs         []string
}

// RuleFor is the rule that grants a.
func RuleFor(a Access) Rule {
	r := Rule{Namespace: a.Namespace, APIGroups: []string{a.Group}, Resources: []string{a.Resource}, Verbs: []string{a.Verb}}
	if a.Name != "" {
		r.ResourceNames = []string{a.Name}
	}
	return r
}

// Flow renders r on one line, in YAML flow style: a snippet for error
// messages.
func (r Rule) Flow() string {
	s := fmt.Sprintf("{apiGroups: %s, resources: %s", list(r.APIGroups), list(r.Resources))
	if len(r.ResourceNames) > 0 {
		s += ", resourceNames: " + list(r.ResourceNames)
	}
	return s + ", verbs: " + list(r.Verbs) + "}"
}

// Block renders r as an item of a Role's rules list, each line prefixed by
// indent.
func (r Rule) Block(indent string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s- apiGroups: %s\n%s  resources: %s\n", indent, list(r.APIGroups), indent, list(r.Resources))
	if len(r.ResourceNames) > 0 {
		fmt.Fprintf(&b, "%s  resourceNames: %s\n", indent, list(r.ResourceNames))
	}
	fmt.Fprintf(&b, "%s  verbs: %s\n", indent, list(r.Verbs))
	return b.String()
}

func list(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// Rules merges the rules that grant accesses: one per namespace, group,
// resource and name, with their verbs together, ClusterRole rules first.
func Rules(accesses []Access) []Rule {
	type key struct{ ns, group, resource, name string }
	byKey := map[key]*Rule{}
	var keys []key
	for _, a := range accesses {
		k := key{a.Namespace, a.Group, a.Resource, a.Name}
		r, ok := byKey[k]
		if !ok {
			rule := RuleFor(a)
			byKey[k], keys = &rule, append(keys, k)
			continue
		}
		if !slices.Contains(r.Verbs, a.Verb) {
			r.Verbs = append(r.Verbs, a.Verb)
		}
	}
	slices.SortStableFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.ns, b.ns), cmp.Compare(a.group, b.group), cmp.Compare(a.resource, b.resource), cmp.Compare(a.name, b.name))
	})
	out := make([]Rule, len(keys))
	for i, k := range keys {
		out[i] = *byKey[k]
	}
	return out
}

// CheckAccess asks the apiserver, with one SelfSubjectAccessReview per
// access, which of needs the current user lacks; an access with an
// AltName is granted by either name. The answer is exact for every
// authorizer, unlike SelfSubjectRulesReview's.
func CheckAccess(ctx context.Context, client authzclient.SelfSubjectAccessReviewInterface, needs []Access) ([]Access, error) {
	needs = dedupe(needs)
	allowed := make([]bool, len(needs))
	errs := make([]error, len(needs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, a := range needs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			allowed[i], errs[i] = can(ctx, client, a, a.Name)
			if errs[i] == nil && !allowed[i] && a.AltName != "" {
				allowed[i], errs[i] = can(ctx, client, a, a.AltName)
			}
		}()
	}
	wg.Wait()
	var missing []Access
	for i, a := range needs {
		if errs[i] != nil {
			return nil, fmt.Errorf("checking permission to %s: %w", a, errs[i])
		}
		if !allowed[i] {
			missing = append(missing, a)
		}
	}
	return missing, nil
}

func can(ctx context.Context, client authzclient.SelfSubjectAccessReviewInterface, a Access, name string) (bool, error) {
	resource, sub, _ := strings.Cut(a.Resource, "/")
	review := &authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authzv1.ResourceAttributes{Namespace: a.Namespace, Verb: a.Verb, Group: a.Group,
			Resource: resource, Subresource: sub, Name: name},
	}}
	got, err := client.Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return got.Status.Allowed, nil
}

// dedupe drops repeated accesses, keeping the first reason given.
func dedupe(needs []Access) []Access {
	seen := map[Access]bool{}
	var out []Access
	for _, a := range needs {
		k := a
		k.Why = ""
		if !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out
}

// AccessError lists every permission a run lacks, each with the rule that
// grants it.
type AccessError struct {
	Missing []Access
	// For says for what, after the count ("to apply this plan").
	For string
}

func (e *AccessError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "missing %d permission(s)", len(e.Missing))
	if e.For != "" {
		b.WriteString(" " + e.For)
	}
	b.WriteString(":")
	for _, a := range e.Missing {
		fmt.Fprintf(&b, "\n  - cannot %s", a)
		if a.Why != "" {
			fmt.Fprintf(&b, ", needed to %s", a.Why)
		}
		fmt.Fprintf(&b, "\n    grant it with the RBAC rule %s", RuleFor(a).Flow())
	}
	return b.String()
}

// Grant renders the rules that grant every missing permission, grouped as
// the rules of a ClusterRole and of a Role per namespace.
func (e *AccessError) Grant() string {
	var b strings.Builder
	ns := "\x00"
	for _, r := range Rules(e.Missing) {
		if r.Namespace != ns {
			ns = r.Namespace
			if ns == "" {
				b.WriteString("rules of a ClusterRole bound to the user:\n")
			} else {
				fmt.Fprintf(&b, "rules of a Role in namespace %s bound to the user:\n", ns)
			}
		}
		b.WriteString(r.Block("  "))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// explain adds what a person can do about a Forbidden error: the RBAC rule
// that grants what was missing (or, for a call that needs several, the
// rules that grant them all).
func explain(err error, rules ...Rule) error {
	if !apierrors.IsForbidden(err) || len(rules) == 0 {
		return err
	}
	flows := make([]string, len(rules))
	for i, r := range rules {
		flows[i] = r.Flow()
	}
	return fmt.Errorf("%w (grant the user the RBAC rule %s)", err, strings.Join(flows, " and "))
}

// forbiddenMessage matches the apiserver's message for a request RBAC
// refused (k8s.io/apiserver's responsewriters.forbiddenMessage).
var forbiddenMessage = regexp.MustCompile(`cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?`)

// RuleForForbidden reads from a Forbidden error which permission was
// missing, and returns the rule that grants it.
func RuleForForbidden(err error) (Rule, bool) {
	if !apierrors.IsForbidden(err) {
		return Rule{}, false
	}
	m := forbiddenMessage.FindStringSubmatch(err.Error())
	if m == nil {
		return Rule{}, false
	}
	return RuleFor(Access{Verb: m[1], Resource: m[2], Group: m[3], Namespace: m[4]}), true
}
