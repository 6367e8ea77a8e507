package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestInstancesInParallel loads a for_each large enough to be decoded on
// several goroutines, some of its instances wrong in two ways, and wants
// the certificates and diagnostics, in order, of decoding one instance
// after another.
func TestInstancesInParallel(t *testing.T) {
	dir := t.TempDir()
	names := map[string]string{}
	for i := range 3 * parallelFrom {
		names[fmt.Sprintf("s%04d", i)] = fmt.Sprintf("h%d.example", i)
		switch i % 97 {
		case 5:
			names[fmt.Sprintf("s%04d", i)] = fmt.Sprintf("not host %d!", i) // a diagnostic of its own
		case 11:
			names[fmt.Sprintf("s%04d", i)] = "" // a diagnostic alike for each
		case 13:
			names[fmt.Sprintf("s%04d", i)] = "1" // fails to decode
		}
	}
	data, _ := json.Marshal(names)
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("names.json", string(data))
	write("main.hcl", `
certificate "svc" {
  for_each    = jsondecode(file("names.json"))
  common_name        = each.value == "" ? "" : "${each.key}.example"
  expiration_seconds = each.value == "1" ? "soon" : 3600
  hosts       = each.value == "" ? [] : [each.value]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/${each.key}.key"
    cert_file = "out/${each.key}.crt"
  }
}
`)
	load := func() ([]*Certificate, []string) {
		cfg, _, diags := Load(dir, Inputs{})
		if !diags.HasErrors() {
			t.Fatal("the configuration loaded without errors")
		}
		return cfg.Certificates, diagList(diags)
	}
	parallel, parallelDiags := load()
	defer func(n int) { parallelFrom = n }(parallelFrom)
	parallelFrom = 1 << 30
	sequential, sequentialDiags := load()
	if len(sequentialDiags) < 10 {
		t.Fatalf("want diagnostics from several instances, got %v", sequentialDiags)
	}
	if diff := cmp.Diff(sequentialDiags, parallelDiags); diff != "" {
		t.Errorf("diagnostics (-one after another +in parallel):\n%s", diff)
	}
	if len(parallel) != len(sequential) {
		t.Fatalf("%d certificates in parallel, %d one after another", len(parallel), len(sequential))
	}
	for i := range sequential {
		if diff := cmp.Diff(sequential[i], parallel[i]); diff != "" {
			t.Fatalf("certificate %d (-one after another +in parallel):\n%s", i, diff)
		}
	}
}

// diagList is diags in order, each with its summary, detail and range.
func diagList(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, fmt.Sprintf("%v %s: %s at %v", d.Severity, d.Summary, d.Detail, d.Subject))
	}
	return out
}
