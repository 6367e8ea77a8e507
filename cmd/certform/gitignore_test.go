package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitSuggestsGitignore: in a git work tree, init names the lines that
// keep private keys (key files, the data directory's pending keys) out of
// commits, until git ignores them; outside one it says nothing of git.
func TestInitSuggestsGitignore(t *testing.T) {
	repo := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	dir := filepath.Join(repo, "certs")
	writeConfigIn(t, dir, clientCert("web", false))
	r := certform(t, dir, "", "init")
	if r.code != exitOK {
		t.Fatalf("init\n%s", r)
	}
	mustContain(t, r, "Private keys are written inside the git work tree "+repo+", and git does not ignore them",
		"add these lines to "+filepath.Join(repo, ".gitignore")+":\n  /certs/web.key\n  /certs/.certform/\n")
	if strings.Contains(r.stdout, "web.crt") {
		t.Errorf("init suggests ignoring a certificate\n%s", r)
	}

	os.WriteFile(filepath.Join(repo, ".gitignore"), []byte("*.key\n"), 0o644)
	r = certform(t, dir, "", "init")
	mustContain(t, r, "  /certs/.certform/\n")
	if strings.Contains(r.stdout, "web.key") {
		t.Errorf("init suggests ignoring a key git ignores already\n%s", r)
	}

	os.WriteFile(filepath.Join(repo, ".gitignore"), []byte("*.key\n.certform/\n"), 0o644)
	if r := certform(t, dir, "", "init"); strings.Contains(r.stdout, "git") {
		t.Errorf("init with the keys ignored\n%s", r)
	}
	outside := writeConfig(t, clientCert("web", false))
	if r := certform(t, outside, "", "init"); r.code != exitOK || strings.Contains(r.stdout, "git") {
		t.Errorf("init outside a git work tree\n%s", r)
	}
}

// TestInitSuggestsGitignoreForKeystores: keystores and the combined PEM
// hold the private key, so init names them as it names key files; a
// truststore holds none.
func TestInitSuggestsGitignoreForKeystores(t *testing.T) {
	repo := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	dir := filepath.Join(repo, "certs")
	cfg := strings.Replace(clientCert("web", false), `cert_file = "web.crt"`, `cert_file = "web.crt"
    jks_file               = "web.jks"
    jks_truststore_file    = "trust.jks"
    combined_pem_file      = "web.pem"`, 1)
	cfg = strings.Replace(cfg, "  expiration_seconds", "  keystore {\n    password = var.pass\n  }\n  expiration_seconds", 1)
	writeConfigIn(t, dir, "variable \"pass\" {\n  default   = \"changeit\"\n  sensitive = true\n}\n"+cfg)
	r := certform(t, dir, "", "init")
	if r.code != exitOK {
		t.Fatalf("init\n%s", r)
	}
	mustContain(t, r, "  /certs/web.key\n  /certs/web.jks\n  /certs/web.pem\n")
	if strings.Contains(r.stdout, "trust.jks") {
		t.Errorf("init suggests ignoring a truststore\n%s", r)
	}
}
