package approver

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func loadPolicyText(t *testing.T, text string) ([]*Policy, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.hcl")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	policies, _, diags := Load(path)
	if diags.HasErrors() {
		return nil, diags
	}
	return policies, nil
}

func TestExpandTemplate(t *testing.T) {
	sa := requester{Username: "system:serviceaccount:team-a:api", Namespace: "team-a", ServiceAccount: "api",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:team-a"}}
	user := requester{Username: "alice*", Groups: []string{"dev"}}
	cases := []struct {
		name    string
		who     requester
		pattern string
		want    []string
	}{
		{"no template", sa, "*.team-b.svc", []string{"*.team-b.svc"}},
		{"namespace", sa, "*." + placeholder("namespace") + ".svc", []string{"*.team-a.svc"}},
		{"two attributes", sa, placeholder("service_account") + "." + placeholder("namespace"), []string{"api.team-a"}},
		{"groups expand to one pattern each", sa, "o=" + placeholder("groups"),
			[]string{"o=system:serviceaccounts", "o=system:serviceaccounts:team-a"}},
		{"absent attribute allows nothing", user, "*." + placeholder("namespace") + ".svc", nil},
		{"a star in the value allows nothing", user, placeholder("username") + "@example.com", nil},
		{"node of a service account allows nothing", sa, placeholder("node"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.who.expandTemplate(c.pattern, forbiddenInPattern); !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	slash := requester{Username: "team/admin"}
	if got := slash.expandTemplate("spiffe://x/u/"+placeholder("username"), forbiddenInURI); got != nil {
		t.Errorf("a URI pattern took a value that adds a path segment: %q", got)
	}
}

func TestTemplateDiagnostics(t *testing.T) {
	cases := []struct {
		name, allowed, want string
	}{
		{"unknown attribute", `dns_names = ["*.${requester.nope}.svc"]`, "policy.hcl:6,32-37: Unsupported attribute; This object does not have an attribute named \"nope\". A policy may refer to requester.username, requester.namespace"},
		{"unknown variable", `dns_names = ["*.${team.namespace}.svc"]`, "Unknown variable"},
		{"in ip_ranges", `ip_ranges = ["${requester.namespace}"]`, "ip_ranges cannot refer to the requester"},
		{"in usages", `usages = [requester.username]`, "usages cannot refer to the requester"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadPolicyText(t, `
policy "p" {
  signer_names = ["example.com/x"]
  requesters { groups = ["g"] }
  allowed {
    `+c.allowed+`
  }
}
`)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a diagnostic with %q", err, c.want)
			}
		})
	}
}

// TestTemplatedPolicyServesEveryTeam: one policy, each service account
// confined to its own namespace's names.
func TestTemplatedPolicyServesEveryTeam(t *testing.T) {
	policies, err := loadPolicyText(t, `
policy "fleet" {
  signer_names = ["example.com/corpus"]
  requesters { service_accounts = ["*:*"] }
  allowed {
    dns_names    = ["*.${requester.namespace}.svc"]
    common_names = ["${requester.service_account}"]
    uris         = ["spiffe://cluster.local/ns/${requester.namespace}/sa/${requester.service_account}"]
    usages       = ["digital signature", "server auth"]
    key_algorithms = ["ecdsa"]
  }
}
`)
	if err != nil {
		t.Fatal(err)
	}
	ask := func(user, cn, dnsName string) Decision {
		csr := crafted{tmpl: func(r *x509.CertificateRequest) {
			r.Subject.CommonName, r.Subject.Organization, r.Subject.OrganizationalUnit = cn, nil, nil
			r.DNSNames = []string{dnsName}
		}}.build(t, "fleet")
		csr.Spec.Username = user
		return Decide(csr, policies)
	}
	cases := []struct {
		name, user, cn, dns, want string
	}{
		{"own namespace", "system:serviceaccount:team-a:api", "api", "api.team-a.svc", "approve"},
		{"other namespace", "system:serviceaccount:team-a:api", "api", "api.team-b.svc", "dns_names"},
		{"other team, own namespace", "system:serviceaccount:team-b:web", "web", "web.team-b.svc", "approve"},
		{"someone else's account name", "system:serviceaccount:team-b:web", "api", "web.team-b.svc", "common_names"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := ask(c.user, c.cn, c.dns)
			got := d.Rule
			if d.Verdict == Approve {
				got = "approve"
			}
			if got != c.want {
				t.Errorf("got %s (%s), want %s", got, d.Message, c.want)
			}
		})
	}
}

// TestExplainShowsEveryFailedRule: a decision stops at the first failed
// rule; --explain lists them all.
func TestExplainShowsEveryFailedRule(t *testing.T) {
	policies, err := loadPolicyText(t, `
policy "narrow" {
  signer_names = ["example.com/corpus"]
  requesters { users = ["someone"] }
  allowed {
    dns_names      = ["other.example"]
    common_names   = ["other"]
    usages         = ["digital signature", "server auth"]
    key_algorithms = ["rsa"]
  }
}
`)
	if err != nil {
		t.Fatal(err)
	}
	csr := crafted{}.build(t, "explain")
	quick, err := DecideIn(context.Background(), csr, policies, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	full, err := DecideIn(context.Background(), csr, policies, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if quick.Rule != "key_algorithms" || full.Rule != quick.Rule || full.Message != quick.Message {
		t.Errorf("explain changed the decision: %q vs %q", quick.Message, full.Message)
	}
	trace := strings.Join(full.Trace, "\n")
	for _, rule := range []string{"key_algorithms", "common_names", "organizations", "dns_names"} {
		if !strings.Contains(trace, "denies: "+rule+":") {
			t.Errorf("explain trace lacks rule %s:\n%s", rule, trace)
		}
	}
	if len(quick.Trace) != 1 {
		t.Errorf("a decision evaluated past the first failed rule: %q", quick.Trace)
	}
}
