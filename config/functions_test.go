package config

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestDocumentedFunctions evaluates the functions docs/configuration.md
// names and no other test exercises, as a configuration would call them:
// cidrnetmask, base64encode and base64decode, with their errors.
func TestDocumentedFunctions(t *testing.T) {
	cases := map[string]struct {
		expr    string
		want    string
		wantErr string
	}{
		"cidrnetmask /8":          {expr: `cidrnetmask("10.0.0.0/8")`, want: "255.0.0.0"},
		"cidrnetmask /20":         {expr: `cidrnetmask("172.16.16.0/20")`, want: "255.255.240.0"},
		"cidrnetmask /32":         {expr: `cidrnetmask("192.0.2.24/32")`, want: "255.255.255.255"},
		"cidrnetmask /0":          {expr: `cidrnetmask("0.0.0.0/0")`, want: "0.0.0.0"},
		"cidrnetmask host bits":   {expr: `cidrnetmask("10.1.2.3/16")`, want: "255.255.0.0"},
		"cidrnetmask IPv6":        {expr: `cidrnetmask("2001:db8::/32")`, wantErr: "only IPv4 prefixes have a netmask"},
		"cidrnetmask not a CIDR":  {expr: `cidrnetmask("10.0.0.0")`, wantErr: `invalid CIDR "10.0.0.0"`},
		"base64encode":            {expr: `base64encode("my-svc.my-namespace")`, want: "bXktc3ZjLm15LW5hbWVzcGFjZQ=="},
		"base64encode empty":      {expr: `base64encode("")`, want: ""},
		"base64encode UTF-8":      {expr: `base64encode("größe")`, want: "Z3LDtsOfZQ=="},
		"base64decode":            {expr: `base64decode("bXktc3ZjLm15LW5hbWVzcGFjZQ==")`, want: "my-svc.my-namespace"},
		"round trip":              {expr: `base64decode(base64encode("a\nb"))`, want: "a\nb"},
		"base64decode not base64": {expr: `base64decode("not base64!")`, wantErr: "not valid base64"},
		"base64decode not UTF-8":  {expr: `base64decode("/w==")`, wantErr: "the decoded bytes are not valid UTF-8"},
	}
	ctx := &hcl.EvalContext{Functions: Functions(t.TempDir())}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			expr, diags := hclsyntax.ParseExpression([]byte(tc.expr), "test.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			v, diags := expr.Value(ctx)
			if tc.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.wantErr) {
					t.Errorf("%s = %#v, %v; want the error %q", tc.expr, v, diags, tc.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("%s: %v", tc.expr, diags)
			}
			if got := v.AsString(); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
}
