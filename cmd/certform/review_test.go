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

// TestFilesCertformDidNotWriteAreNotOverwritten: a key file already at a
// configured path that no record of the address holds (hand-made, or left
// by an address a removed block forgot) is a conflict: plan and apply
// refuse, and the file keeps its content.
func TestFilesCertformDidNotWriteAreNotOverwritten(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("handmade", true))
	keyPath := filepath.Join(dir, "handmade.key")
	if err := os.WriteFile(keyPath, []byte("hand made\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := certform(t, dir, c.AdminKubeconfig, "plan")
	mustContain(t, r, "certificate.handmade: file handmade.key exists and certform did not write it")
	if r.code != exitError {
		t.Errorf("plan over a hand-made key file exited %d, want %d", r.code, exitError)
	}
	r = certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
	if r.code == exitOK {
		t.Errorf("apply overwrote a hand-made key file\n%s", r)
	}
	if got := mustRead(t, keyPath); string(got) != "hand made\n" {
		t.Fatalf("the hand-made key file now holds %q", got)
	}
	os.Remove(keyPath)
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply once the file is moved away\n%s", r)
	}

	// Forgotten with a removed block, then declared again: the files the
	// forgotten address left are no longer certform's to overwrite.
	keyBefore := mustRead(t, keyPath)
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte("removed {\n  from = certificate.handmade\n  lifecycle { destroy = false }\n}\n"), 0o644)
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply of the removed block\n%s", r)
	}
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(clientCert("handmade", true)), 0o644)
	r = certform(t, dir, c.AdminKubeconfig, "plan")
	mustContain(t, r, "file handmade.key exists and certform did not write it")
	certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
	if got := mustRead(t, keyPath); string(got) != string(keyBefore) {
		t.Error("re-declaring a forgotten address overwrote the key it left")
	}
}
