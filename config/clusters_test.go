package config

import (
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/google/go-cmp/cmp"
)

// TestFleetClusters checks where each instance of testdata/valid/fleet.hcl
// lives: for_each over kubernetes, kubernetes[each.key], a default
// cluster, and a bundle source read from another cluster.
func TestFleetClusters(t *testing.T) {
	src, err := os.ReadFile("testdata/valid/fleet.hcl")
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := LoadSource(src, "fleet.hcl", "testdata", Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := map[string]string{}
	for _, c := range cfg.Certificates {
		got[c.Addr] = c.Cluster
	}
	for _, b := range cfg.CABundles {
		got[b.Addr] = b.Cluster
		got[b.Addr+".source"] = b.Sources[0].Cluster
	}
	want := map[string]string{
		`certificate.web["default"]`: "default", `certificate.web["eu"]`: "eu", `certificate.web["ap"]`: "ap",
		`certificate.api["eu"]`: "eu", `certificate.api["ap"]`: "ap",
		`ca_bundle.signer["default"]`: "default", `ca_bundle.signer["eu"]`: "eu",
		`ca_bundle.signer["default"].source`: "ap", `ca_bundle.signer["eu"].source`: "ap",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("clusters (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"default", "ap", "eu"}, cfg.ClusterNames()); diff != "" {
		t.Errorf("cluster names (-want +got):\n%s", diff)
	}
	if k := cfg.Cluster("ap"); k == nil || !k.InCluster {
		t.Errorf("kubernetes.ap = %+v, want in_cluster", k)
	}
	if k := cfg.Cluster("eu"); k == nil || k.Context != "prod-eu" {
		t.Errorf("kubernetes.eu = %+v, want context prod-eu", k)
	}
	if c := cfg.Certificates[0]; c.Addr != `certificate.api["ap"]` || c.RenewJitter != 0 {
		t.Errorf("first certificate %s has renew_jitter %d", c.Addr, c.RenewJitter)
	}
	for _, c := range cfg.Certificates {
		if c.Name == "web" && c.RenewJitter != 10 {
			t.Errorf("%s: renew_jitter = %d, want 10", c.Addr, c.RenewJitter)
		}
	}
}

// TestClusterRefDiagnostics: a misspelt cluster is an error at the name,
// with the closest declared one; a string is refused with the spelling
// to use.
func TestClusterRefDiagnostics(t *testing.T) {
	const head = "kubernetes \"eu\" {\n  context = \"eu\"\n}\n\ncertificate \"a\" {\n  signer_name = \"example.com/s\"\n  secret {\n    namespace = \"default\"\n    name = \"a\"\n  }\n"
	cases := map[string]struct {
		cluster string
		detail  string
		col     int // where the subject starts on the cluster line
	}{
		"attribute typo":  {"kubernetes.ue", "Did you mean kubernetes.eu?", 27},
		"index typo":      {`kubernetes["ue"]`, "Did you mean kubernetes.eu?", 27},
		"unknown, far":    {"kubernetes.production", `Declare it in the root configuration: kubernetes "production"`, 27},
		"a string":        {`"eu"`, "not the string \"eu\"", 17},
		"a map of string": {`{ name = "eu" }`, "cluster takes a reference to a kubernetes block, such as kubernetes.eu", 17},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			src := head + "  cluster     = " + c.cluster + "\n}\n"
			_, diags := LoadSource([]byte(src), "main.hcl", ".", Inputs{})
			var d *hcl.Diagnostic
			for _, x := range diags {
				if x.Subject != nil && x.Subject.Start.Line == 11 {
					d = x
				}
			}
			if d == nil {
				t.Fatalf("no diagnostic on the cluster line: %v", diags)
			}
			if !strings.Contains(d.Detail, c.detail) {
				t.Errorf("detail %q lacks %q", d.Detail, c.detail)
			}
			if d.Subject == nil || d.Subject.Start.Line != 11 || d.Subject.Start.Column != c.col {
				t.Errorf("subject %v, want line 11 column %d", d.Subject, c.col)
			}
		})
	}
}
