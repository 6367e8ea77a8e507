package kube

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestAccessErrorListsEveryRule: every missing permission is named with
// its rule, and the rules to paste are merged per namespace and resource.
func TestAccessErrorListsEveryRule(t *testing.T) {
	missing := append([]Access{
		CSRAccess("list", "find CSRs"), CSRAccess("watch", "wait"),
		{Verb: "create", Resource: "secrets", Namespace: "team-a"}, {Verb: "patch", Resource: "secrets", Namespace: "team-a"},
	}, ApproveAccess("example.com/serving")...)
	e := &AccessError{Missing: missing}
	for _, want := range []string{
		"missing 6 permission(s)",
		"cannot list certificatesigningrequests.certificates.k8s.io (cluster-wide), needed to find CSRs",
		`grant it with the RBAC rule {apiGroups: ["certificates.k8s.io"], resources: ["signers"], resourceNames: ["example.com/serving"], verbs: ["approve"]}`,
		`grant it with the RBAC rule {apiGroups: [""], resources: ["secrets"], verbs: ["patch"]}`,
	} {
		if !strings.Contains(e.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, e)
		}
	}
	want := `rules of a ClusterRole bound to the user:
  - apiGroups: ["certificates.k8s.io"]
    resources: ["certificatesigningrequests"]
    verbs: ["list", "watch"]
  - apiGroups: ["certificates.k8s.io"]
    resources: ["certificatesigningrequests/approval"]
    verbs: ["update"]
  - apiGroups: ["certificates.k8s.io"]
    resources: ["signers"]
    resourceNames: ["example.com/serving"]
    verbs: ["approve"]
rules of a Role in namespace team-a bound to the user:
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["create", "patch"]`
	if diff := cmp.Diff(want, e.Grant()); diff != "" {
		t.Errorf("Grant (-want +got):\n%s", diff)
	}
}

func TestRuleForForbidden(t *testing.T) {
	cases := map[string]struct {
		err  error
		want string
	}{
		"cluster-scoped": {
			err:  apierrors.NewForbidden(schema.GroupResource{Group: "certificates.k8s.io", Resource: "certificatesigningrequests"}, "", errors.New(`User "x" cannot list resource "certificatesigningrequests" in API group "certificates.k8s.io" at the cluster scope`)),
			want: `{apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests"], verbs: ["list"]}`,
		},
		"namespaced core": {
			err:  apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "", errors.New(`User "x" cannot list resource "secrets" in API group "" in the namespace "team-a"`)),
			want: `{apiGroups: [""], resources: ["secrets"], verbs: ["list"]} in team-a`,
		},
		"not forbidden": {err: errors.New("connection refused")},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, ok := RuleForForbidden(tc.err)
			got := ""
			if ok {
				got = r.Flow()
				if r.Namespace != "" {
					got += " in " + r.Namespace
				}
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
