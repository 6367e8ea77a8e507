package apply

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/certform/certform/config"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// TestPermissions: each action asks for exactly the verbs apply uses for
// it, in the namespaces it touches.
func TestPermissions(t *testing.T) {
	self := &config.Certificate{Addr: "certificate.a", SignerName: "example.com/serving", SelfApprove: true,
		Secret: &config.SecretOutput{Namespace: "team-a", Name: "a-tls"}}
	plain := &config.Certificate{Addr: "certificate.b", SignerName: "example.com/serving"}
	delivered := &config.Certificate{Addr: "certificate.c", SignerName: "example.com/serving",
		Keystore: &config.Keystore{PasswordSecret: &config.SecretKeyRef{Namespace: "vault", Name: "ks", Key: "password"}},
		OnChange: config.OnChange{Restarts: []config.Restart{{Kind: "StatefulSet", Namespace: "db", Name: "pg"}, {Kind: "Deployment", Namespace: "web", Name: "api"}}}}
	cases := map[string]struct {
		changes []*plan.Change
		bundles []*plan.BundleChange
		noWait  bool
		want    []string
	}{
		"create, self-approved, with a Secret": {
			changes: []*plan.Change{{Addr: "certificate.a", Action: plan.Create}},
			want: []string{
				"create certificatesigningrequests.certificates.k8s.io (cluster-wide)",
				"get certificatesigningrequests.certificates.k8s.io (cluster-wide)",
				"list certificatesigningrequests.certificates.k8s.io (cluster-wide)",
				"watch certificatesigningrequests.certificates.k8s.io (cluster-wide)",
				"update certificatesigningrequests.certificates.k8s.io/approval (cluster-wide)",
				"approve signers.certificates.k8s.io example.com/serving (cluster-wide)",
				"create secrets (in namespace team-a)",
				"patch secrets (in namespace team-a)",
			},
		},
		"resume with --no-wait": {
			changes: []*plan.Change{{Addr: "certificate.b", Action: plan.Wait}},
			noWait:  true,
			want: []string{
				"get certificatesigningrequests.certificates.k8s.io (cluster-wide)",
				"list certificatesigningrequests.certificates.k8s.io (cluster-wide)",
			},
		},
		"delete with a Secret": {
			changes: []*plan.Change{{Addr: "certificate.gone", Action: plan.Delete,
				Before: &state.Certificate{CSRName: "gone-1", Secret: &state.SecretRecord{Namespace: "old", Name: "gone-tls"}}}},
			want: []string{
				"delete certificatesigningrequests.certificates.k8s.io (cluster-wide)",
				"get secrets (in namespace old)",
				"delete secrets (in namespace old)",
			},
		},
		"update restarting one of two workloads, password from a Secret": {
			changes: []*plan.Change{{Addr: "certificate.c", Action: plan.Update, AfterChange: []plan.AfterAction{{ID: "restart StatefulSet db/pg", Retry: true}}}},
			want: []string{
				"get secrets ks (in namespace vault)",
				"patch statefulsets.apps pg (in namespace db)",
			},
		},
		"no-op of a delivered certificate": {
			changes: []*plan.Change{{Addr: "certificate.c", Action: plan.NoOp}},
		},
		"bundle published and removed": {
			bundles: []*plan.BundleChange{{Addr: "ca_bundle.x", Targets: []*plan.TargetChange{
				{Kind: config.TargetConfigMap, Namespace: "n1", Action: plan.Create},
				{Kind: config.TargetSecret, Namespace: "n2", Action: plan.Delete},
				{Kind: config.TargetConfigMap, Namespace: "n3", Action: plan.NoOp},
			}}},
			want: []string{
				"create configmaps (in namespace n1)", "patch configmaps (in namespace n1)",
				"get secrets (in namespace n2)", "delete secrets (in namespace n2)",
			},
		},
	}
	cfg := &config.Config{Certificates: []*config.Certificate{self, plain, delivered}}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, a := range Permissions(&plan.Plan{Changes: tc.changes, Bundles: tc.bundles}, cfg, tc.noWait) {
				got = append(got, a.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("permissions (-want +got):\n%s", diff)
			}
		})
	}
}
