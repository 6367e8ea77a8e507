package approver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadExample(t *testing.T) {
	policies, _, diags := Load("../examples/approver/policies")
	if diags.HasErrors() || len(policies) != 1 || policies[0].Name != "team-a-serving" {
		t.Fatalf("policies %v, diagnostics %s", policies, diags)
	}
}

func TestLoadInvalid(t *testing.T) {
	policy := func(name, requesters, allowed string) string {
		src := "policy \"" + name + "\" {\n  signer_names = [\"a/b\"]\n"
		if requesters != "" {
			src += "  requesters {\n    " + requesters + "\n  }\n"
		}
		if allowed != "-" {
			src += "  allowed {\n    " + allowed + "\n  }\n"
		}
		return src + "}\n"
	}
	users := `users = ["u"]`
	tests := map[string]struct{ src, want string }{
		"no requesters":       {policy("p", "", `usages = ["server auth"]`), "Policy speaks for nobody"},
		"no allowed block":    {policy("p", users, "-"), "Policy allows nothing"},
		"bad cidr":            {policy("p", users, `ip_ranges = ["10.0.0.0"]`), "Invalid IP range"},
		"bad usage":           {policy("p", users, `usages = ["flying"]`), "Unknown usage"},
		"bad algorithm":       {policy("p", users, `key_algorithms = ["dsa"]`), "Unknown key algorithm"},
		"bad duration":        {policy("p", users, `max_expiration = "1y"`), "Invalid max_expiration"},
		"bad service account": {policy("p", `service_accounts = ["builder"]`, ""), "Invalid service account"},
		"duplicate":           {policy("p", users, "") + policy("p", users, ""), "Duplicate policy"},
		"unknown attribute":   {policy("p", users, `dns = ["x"]`), "Unsupported argument"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.hcl")
			os.WriteFile(path, []byte(tc.src), 0o644)
			_, _, diags := Load(path)
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) {
				t.Errorf("diagnostics %q, want %q", diags.Error(), tc.want)
			}
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic without a range: %s", d.Summary)
				}
			}
		})
	}
}
