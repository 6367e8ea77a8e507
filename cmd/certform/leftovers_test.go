package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeleteLeavesNoEmptyOutputDirectory: deleting a certificate removes
// the output directories its files leave empty, and keeps a directory
// that still holds someone else's file.
func TestDeleteLeavesNoEmptyOutputDirectory(t *testing.T) {
	c := sharedCluster(t)
	nested := strings.NewReplacer(`"nested.key"`, `"out/tls/nested.key"`, `"nested.crt"`, `"out/tls/nested.crt"`).Replace(clientCert("nested", true))
	alone := strings.NewReplacer(`"alone.key"`, `"gen/alone.key"`, `"alone.crt"`, `"gen/alone.crt"`).Replace(clientCert("alone", true))
	dir := writeConfig(t, nested+alone)
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	readme := filepath.Join(dir, "out", "README")
	os.WriteFile(readme, []byte("someone's notes\n"), 0o644)
	if r := certform(t, dir, c.AdminKubeconfig, "destroy", "--auto-approve"); r.code != exitOK {
		t.Fatalf("destroy\n%s", r)
	}
	for _, gone := range []string{"out/tls", "gen"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s after destroy: %v, want it removed", gone, err)
		}
	}
	for _, kept := range []string{readme, filepath.Join(dir, "main.hcl")} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("%s after destroy: %v", kept, err)
		}
	}
}
