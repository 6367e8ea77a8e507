package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/state"
)

// TestResubmitAfterCSRDeleted deletes a pending CSR the way the cleaner
// does after 24 h; the next plan resubmits.
func TestResubmitAfterCSRDeleted(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("gone", false))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--no-wait"); r.code != exitOK {
		t.Fatalf("apply --no-wait\n%s", r)
	}
	old := readState(t, dir).Certificates["certificate.gone"]
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: c.AdminKubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	if err := csrs.Delete(context.Background(), old.CSRName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode")
	if r.code != exitChanges {
		t.Fatalf("plan: want changes\n%s", r)
	}
	mustContain(t, r, "must be replaced", "CSR "+old.CSRName+" was deleted or garbage-collected before it was issued")
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--no-wait"); r.code != exitOK {
		t.Fatalf("second apply\n%s", r)
	}
	now := readState(t, dir).Certificates["certificate.gone"]
	if now.CSRName == old.CSRName || now.Status != state.StatusPending {
		t.Errorf("after resubmission: %+v; want a new pending CSR", now)
	}
	if _, err := csrs.Get(context.Background(), now.CSRName, metav1.GetOptions{}); err != nil {
		t.Errorf("resubmitted CSR %s: %v", now.CSRName, err)
	}
}

// TestSavedPlan applies a saved plan, and refuses one that is stale.
func TestSavedPlan(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("saved", true))
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--out", "tfplan"); r.code != exitOK {
		t.Fatalf("plan --out\n%s", r)
	}
	if st, err := os.Stat(filepath.Join(dir, "tfplan")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("plan file: %v %v", st, err)
	}
	r := certform(t, dir, c.AdminKubeconfig, "show", "tfplan")
	mustContain(t, r, "+ certificate.saved", "Plan: 1 to issue")
	r = certform(t, dir, c.AdminKubeconfig, "show", "--json", "tfplan")
	mustContain(t, r, `"action": "create"`, `"format_version": "1.2"`, `"private_key_destinations"`, `"path": "saved.key"`)

	// The saved plan applies without a confirmation question.
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "tfplan"); r.code != exitOK {
		t.Fatalf("apply tfplan\n%s", r)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "tfplan"); r.code != exitError {
		t.Fatalf("applying the same plan twice: want a refusal\n%s", r)
	} else {
		mustContain(t, r, "saved plan is stale: the state changed since it was made", "certform: hint: make a new plan")
	}

	// A configuration change since the plan is refused too.
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--out", "tfplan2", "--replace", "certificate.saved"); r.code != exitOK {
		t.Fatalf("plan --replace --out\n%s", r)
	}
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(strings.Replace(clientCert("saved", true), "3600", "7200", 1)), 0o644)
	r = certform(t, dir, c.AdminKubeconfig, "apply", "tfplan2")
	if r.code != exitError || !strings.Contains(r.stderr, "the configuration (or a variable) changed") {
		t.Errorf("stale configuration: want a refusal\n%s", r)
	}
	assertNoKeyMaterial(t, filepath.Join(dir, "tfplan"), mustRead(t, filepath.Join(dir, "saved.key")))
}

// TestConcurrentApplies runs two applies on one state as real processes:
// the second fails at once and names the first.
func TestConcurrentApplies(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("locked", false))
	first, out := startCertform(t, dir, c.RestrictedKubeconfig, "apply", "--auto-approve", "--wait-timeout=2m")
	name := waitForPending(t, c.AdminKubeconfig, dir, "locked") // the first run holds the lock while it waits
	r := certform(t, dir, c.RestrictedKubeconfig, "apply", "--auto-approve")
	if r.code != exitError {
		t.Errorf("second apply: want exit 1\n%s", r)
	}
	mustContain(t, r, "certform: error: state is locked by", "pid "+strconv.Itoa(first.Process.Pid), "apply since", "lock ID", "certform: hint:")
	setCondition(t, c.AdminKubeconfig, name, certv1.CertificateApproved)
	if err := first.Wait(); err != nil {
		t.Fatalf("first apply: %v\n%s", err, out.String())
	}
	if r := certform(t, dir, c.RestrictedKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("after both: want no changes\n%s", r)
	}
}

// TestStateCommands lists, shows, moves and removes records.
func TestStateCommands(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("st", true))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	if r := certform(t, dir, "", "state", "list"); r.stdout != "certificate.st\n" {
		t.Errorf("state list\n%s", r)
	}
	mustContain(t, certform(t, dir, "", "state", "show", "certificate.st"), "status               = issued", "file.key", "(mode 0600")
	mustContain(t, certform(t, dir, "", "state", "show", "certificate.nope"), "no record for certificate.nope")
	if r := certform(t, dir, "", "state", "mv", "certificate.st", "certificate.other"); r.code != exitOK {
		t.Fatalf("state mv\n%s", r)
	}
	r := certform(t, dir, c.AdminKubeconfig, "plan")
	mustContain(t, r, "certificate.other will be deleted", "certificate.st will be issued")
	if r := certform(t, dir, "", "state", "rm", "certificate.other"); r.code != exitOK {
		t.Fatalf("state rm\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "st.key")); err != nil {
		t.Errorf("state rm touched the key file: %v", err)
	}
	if r := certform(t, dir, "", "state", "list"); r.stdout != "" {
		t.Errorf("state list after rm\n%s", r)
	}
}

// TestPlanWithoutRefresh plans from state alone, with no cluster to reach.
func TestPlanWithoutRefresh(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("norefresh", true))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	os.Remove(filepath.Join(dir, "norefresh.crt"))
	bogus := filepath.Join(dir, "nowhere.kubeconfig")
	if r := certform(t, dir, bogus, "plan", "--refresh=false", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan --refresh=false must not look at files or the cluster\n%s", r)
	}
	if r := certform(t, dir, bogus, "plan"); r.code != exitError {
		t.Errorf("plan with refresh and no cluster must fail\n%s", r)
	}
	r := certform(t, dir, c.AdminKubeconfig, "plan")
	mustContain(t, r, "cert file norefresh.crt is missing")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
