package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend/local"
	"github.com/certform/certform/state/statefile"
)

// clientCert is a kube-apiserver-client certificate; name varies it.
func clientCert(name string, selfApprove bool) string {
	approve := "false"
	if selfApprove {
		approve = "true"
	}
	return `
certificate "` + name + `" {
  common_name  = "` + name + `"
  subject { organization = ["certform-tests"] }
  signer_name  = "kubernetes.io/kube-apiserver-client"
  usages       = ["digital signature", "client auth"]
  self_approve = ` + approve + `
  expiration_seconds = 3600
  output {
    key_file  = "` + name + `.key"
    cert_file = "` + name + `.crt"
  }
}
`
}

func TestApplySelfApprove(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("self", true))
	r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("apply failed\n%s", r)
	}
	mustContain(t, r, "approved CSR", "issued after", "Apply complete! 1 issued, 0 pending")
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after apply: want no changes\n%s", r)
	}
}

func TestApplyNeedsConfirmation(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("confirm", true))
	r := certform(t, dir, c.AdminKubeconfig, "apply")
	if r.code != exitError {
		t.Fatalf("apply without a terminal and without --auto-approve: want exit 1\n%s", r)
	}
	mustContain(t, r, "certform: error: apply needs confirmation", "certform: hint:", "--auto-approve")
	if _, err := os.Stat(filepath.Join(dir, "confirm.key")); !os.IsNotExist(err) {
		t.Errorf("a refused apply wrote the key file (err = %v)", err)
	}
}

// TestApplySelfApproveForbidden runs self_approve as a user without approve
// rights: before submitting anything, the error names both missing rules.
func TestApplySelfApproveForbidden(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("forbidden", true))
	r := certform(t, dir, c.RestrictedKubeconfig, "apply", "--auto-approve")
	if r.code != exitError {
		t.Fatalf("want exit 1\n%s", r)
	}
	mustContain(t, r, "missing 2 permission(s) to apply this plan; nothing was submitted",
		`resources: ["certificatesigningrequests/approval"], verbs: ["update"]`,
		`resources: ["signers"], resourceNames: ["kubernetes.io/kube-apiserver-client"], verbs: ["approve"]`)
	if st, err := os.ReadFile(filepath.Join(dir, local.DefaultPath)); err == nil && strings.Contains(string(st), "certificate.forbidden") {
		t.Errorf("state records a CSR although nothing should have been submitted:\n%s", st)
	}
}

// TestApplyNoWaitThenCollect submits with --no-wait, approves later as an
// admin, and lets the next apply collect the certificate with the kept key.
func TestApplyNoWaitThenCollect(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("later", false))
	r := certform(t, dir, c.RestrictedKubeconfig, "apply", "--auto-approve", "--no-wait")
	if r.code != exitOK {
		t.Fatalf("apply --no-wait failed\n%s", r)
	}
	mustContain(t, r, "0 issued, 1 pending")
	rec := readState(t, dir).Certificates["certificate.later"]
	if rec == nil || rec.Status != state.StatusPending {
		t.Fatalf("state = %+v, want pending", rec)
	}
	r = certform(t, dir, c.RestrictedKubeconfig, "plan", "--detailed-exitcode")
	if r.code != exitChanges || !strings.Contains(r.stdout, "is waiting for approval") {
		t.Errorf("plan of a pending CSR: want exit 2 and a wait\n%s", r)
	}
	setCondition(t, c.AdminKubeconfig, rec.CSRName, certv1.CertificateApproved)
	r = certform(t, dir, c.RestrictedKubeconfig, "apply", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("second apply failed\n%s", r)
	}
	after := readState(t, dir).Certificates["certificate.later"]
	if after.Status != state.StatusIssued || after.KeySHA256 != rec.KeySHA256 || after.CSRName != rec.CSRName {
		t.Errorf("after collecting: %+v; want issued with the same key and CSR as %+v", after, rec)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, ".certform/pending-keys")); len(entries) != 0 {
		t.Errorf("pending key store still holds %d file(s) after the certificate was collected", len(entries))
	}
}

// TestApplyDenied denies the CSR while apply waits: apply fails fast with
// the denial's message, and the next plan replaces the certificate.
func TestApplyDenied(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("denied", false))
	cmd, out := startCertform(t, dir, c.RestrictedKubeconfig, "apply", "--auto-approve", "--wait-timeout=2m")
	name := waitForPending(t, c.AdminKubeconfig, dir, "denied")
	setCondition(t, c.AdminKubeconfig, name, certv1.CertificateDenied)
	err := cmd.Wait()
	if err == nil {
		t.Fatalf("apply succeeded after a denial\n%s", out.String())
	}
	if !strings.Contains(out.String(), "denied: TestDecision: decided by the test") {
		t.Errorf("apply output lacks the denial reason:\n%s", out.String())
	}
	if n := strings.Count(out.String(), "decided by the test"); n != 1 {
		t.Errorf("the denial is shown %d times, want once:\n%s", n, out.String())
	}
	// The same request is not submitted again: the plan says why and
	// changes nothing, until --replace asks for it.
	r := certform(t, dir, c.RestrictedKubeconfig, "plan", "--detailed-exitcode")
	if r.code != exitOK {
		t.Fatalf("plan after denial: want no changes\n%s", r)
	}
	mustContain(t, r, "Warning: certificate.denied: CSR "+name+" was denied (TestDecision: decided by the test)",
		"pass --replace certificate.denied to submit it again")
	r = certform(t, dir, c.RestrictedKubeconfig, "plan", "--detailed-exitcode", "--replace", "certificate.denied")
	if r.code != exitChanges {
		t.Fatalf("plan --replace after denial: want changes\n%s", r)
	}
	mustContain(t, r, "must be replaced", "replacement requested with --replace")
}

// TestApplyCountsThisRun: the closing line counts what this run issued,
// not every certificate in state.
func TestApplyCountsThisRun(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("count-a", true))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("first apply\n%s", r)
	}
	f, err := os.OpenFile(filepath.Join(dir, "main.hcl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(clientCert("count-b", true))
	f.Close()
	r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("second apply\n%s", r)
	}
	mustContain(t, r, "Apply complete! 1 issued, 0 pending")
}

func readState(t *testing.T, dir string) *state.State {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, local.DefaultPath))
	if err != nil {
		t.Fatal(err)
	}
	st, err := statefile.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitForPending waits for the CSR of address certificate.NAME made by the
// apply running in dir (its state's lineage tells it from CSRs of other
// tests that used the same address).
func waitForPending(t *testing.T, kubeconfig, dir, name string) string {
	t.Helper()
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := cs.CertificatesV1().CertificateSigningRequests().Watch(ctx, metav1.ListOptions{LabelSelector: kube.LabelManagedBy + "=" + kube.ManagedByValue})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		csr, ok := ev.Object.(*certv1.CertificateSigningRequest)
		if !ok || csr.Annotations[kube.AnnotationAddr] != "certificate."+name {
			continue
		}
		// apply writes the state (and so its lineage) before it submits.
		if lineage, ok := lineageOf(dir); ok && lineage == csr.Labels[kube.LabelLineage] {
			return csr.Name
		}
	}
	t.Fatalf("no CSR for certificate.%s appeared", name)
	return ""
}

// setCondition approves or denies a CSR as the admin.
func setCondition(t *testing.T, kubeconfig, name string, cond certv1.RequestConditionType) {
	t.Helper()
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	csr, err := csrs.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	csr.Status.Conditions = append(csr.Status.Conditions, certv1.CertificateSigningRequestCondition{
		Type: cond, Status: corev1.ConditionTrue, Reason: "TestDecision", Message: "decided by the test",
	})
	if _, err := csrs.UpdateApproval(ctx, name, csr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestApplySubmitsWhileOthersWait: with --parallelism=1 and five CSRs
// awaiting a human, every CSR is submitted before any is approved, so the
// approver sees them all at once instead of one per approval; a CSR
// waiting for its signer holds no slot.
func TestApplySubmitsWhileOthersWait(t *testing.T) {
	c := sharedCluster(t)
	names := []string{"queue-a", "queue-b", "queue-c", "queue-d", "queue-e"}
	var hcl strings.Builder
	for _, n := range names {
		hcl.WriteString(clientCert(n, false))
	}
	dir := writeConfig(t, hcl.String())
	cmd, out := startCertform(t, dir, c.RestrictedKubeconfig, "apply", "--auto-approve", "--parallelism=1", "--wait-timeout=2m")
	pending := waitForPendingCount(t, c.AdminKubeconfig, dir, len(names))
	for _, name := range pending {
		setCondition(t, c.AdminKubeconfig, name, certv1.CertificateApproved)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out.String())
	}
	checkConverged(t, dir, c.AdminKubeconfig, names...)
}

// waitForPendingCount waits until the apply running in dir has n CSRs
// awaiting approval and returns their names.
func waitForPendingCount(t *testing.T, kubeconfig, dir string, n int) []string {
	t.Helper()
	var names []string
	waitForCSRs(t, kubeconfig, kube.LabelManagedBy+"="+kube.ManagedByValue, "CSRs awaiting approval", func(list []*certv1.CertificateSigningRequest) bool {
		lineage, ok := lineageOf(dir) // apply writes it before it submits
		names = names[:0]
		for _, csr := range list {
			if ok && csr.Labels[kube.LabelLineage] == lineage && len(csr.Status.Conditions) == 0 {
				names = append(names, csr.Name)
			}
		}
		return len(names) == n
	})
	return names
}

// lineageOf is the lineage of the state in dir, once a running apply has
// written it.
func lineageOf(dir string) (string, bool) {
	data, err := os.ReadFile(filepath.Join(dir, local.DefaultPath))
	if err != nil {
		return "", false
	}
	st, err := statefile.Decode(data)
	if err != nil {
		return "", false
	}
	return st.Lineage, true
}
