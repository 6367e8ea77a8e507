package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// annotationPolicy is teamPolicy with an allow-list of CSR annotation keys
// that does not list certform's own certform.dev/address.
var annotationPolicy = strings.Replace(teamPolicy, `max_expiration = "720h"`,
	`max_expiration = "720h"
    annotations    = ["example.com/*"]`, 1)

// TestPredictionSeesCertformAnnotations: plan --policy must judge the CSR
// apply submits, annotations included. Every CSR certform submits carries
// certform.dev/address, so a policy whose annotation allow-list lacks it
// denies; the prediction must say so instead of approving.
func TestPredictionSeesCertformAnnotations(t *testing.T) {
	c := sharedCluster(t)
	sa := serviceAccountKubeconfig(t, c, "team-a", "builder")
	policies := writeConfig(t, annotationPolicy)
	dir := writeConfig(t, servingCert("annotated", "annotated.team-a.svc"))

	r := certform(t, dir, sa, "plan", "--policy", policies)
	predicted := strings.Contains(r.stdout, "# the approver would DENY this CSR")
	if r := certform(t, dir, sa, "apply", "--auto-approve", "--no-wait"); r.code != exitOK {
		t.Fatalf("apply --no-wait\n%s", r)
	}
	name := readState(t, dir).Certificates["certificate.annotated"].CSRName
	a := certform(t, ".", c.AdminKubeconfig, "approve", "--policy", policies, "--dry-run")
	denied := strings.Contains(a.stdout, "(dry run) "+name+" deny")
	if predicted != denied {
		t.Errorf("plan --policy predicted deny=%v, the approver decides deny=%v\nplan:\n%s\napprove:\n%s", predicted, denied, r, a)
	}
}

// TestFirstIssueNeverOverwritesFiles: certform never overwrites a file it
// did not create. A hand-made file at a new certificate's key_file, and
// the files a removed block (destroy = false) left in place when the
// block comes back, make the plan a conflict; the files stay.
func TestFirstIssueNeverOverwritesFiles(t *testing.T) {
	c := sharedCluster(t)
	t.Run("hand-made file", func(t *testing.T) {
		dir := writeConfig(t, clientCert("ow-hand", true))
		os.WriteFile(filepath.Join(dir, "ow-hand.key"), []byte("hand made\n"), 0o600)
		r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
		mustContain(t, r, "file ow-hand.key exists and certform did not create it")
		if r.code == exitOK || string(mustRead(t, filepath.Join(dir, "ow-hand.key"))) != "hand made\n" {
			t.Errorf("apply over a hand-made key file: exit %d, want it refused and the file kept\n%s", r.code, r)
		}
	})
	t.Run("forgotten, then declared again", func(t *testing.T) {
		dir := writeConfig(t, clientCert("ow-again", true))
		if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
			t.Fatalf("apply\n%s", r)
		}
		key := mustRead(t, filepath.Join(dir, "ow-again.key"))
		os.WriteFile(filepath.Join(dir, "main.hcl"), []byte("removed {\n  from = certificate.ow-again\n  lifecycle {\n    destroy = false\n  }\n}\n"), 0o644)
		if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
			t.Fatalf("apply of the removed block\n%s", r)
		}
		os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(clientCert("ow-again", true)), 0o644)
		r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
		mustContain(t, r, "file ow-again.key exists and certform did not create it")
		if r.code == exitOK || string(mustRead(t, filepath.Join(dir, "ow-again.key"))) != string(key) {
			t.Errorf("apply of the block again: exit %d, want it refused and the forgotten key kept\n%s", r.code, r)
		}
	})
}
