package config

import (
	"os"
	"testing"

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
