package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	certv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend/local"
)

// TestInterruptedApplyResumes sends SIGINT while apply waits for approval:
// apply stops, keeps the pending CSR in state, exits 1, and the next apply
// collects the certificate once a person approves.
func TestInterruptedApplyResumes(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("interrupted", false))
	cmd, out := startCertform(t, dir, c.RestrictedKubeconfig, "apply", "--auto-approve", "--wait-timeout=2m")
	name := waitForPending(t, c.AdminKubeconfig, dir, "interrupted")
	// Signal once the pending record (with the CSR's UID) is in the state
	// journal, that is, when apply waits for approval (an earlier signal
	// is covered by adoption, see TestKilledApplyConverges and
	// TestChaosSignals).
	csr, err := csrClient(t, c.AdminKubeconfig).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitForFileContaining(t, filepath.Join(dir, local.DefaultPath+".journal"), string(csr.UID))
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if err == nil || cmd.ProcessState.ExitCode() != exitError {
		t.Fatalf("interrupted apply: %v, want exit 1\n%s", err, out.String())
	}
	for _, want := range []string{"Apply interrupted.", "certform: hint: run certform apply again"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q\n%s", want, out.String())
		}
	}
	if rec := readState(t, dir).Certificates["certificate.interrupted"]; rec == nil || rec.Status != state.StatusPending || rec.CSRName != name {
		t.Fatalf("state after interrupt: %+v, want CSR %s pending", rec, name)
	}
	setCondition(t, c.AdminKubeconfig, name, certv1.CertificateApproved)
	if r := certform(t, dir, c.RestrictedKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply after interrupt\n%s", r)
	}
	checkConverged(t, dir, c.AdminKubeconfig, "interrupted")
}

// TestDestroy deletes what certform made, and only that: a file edited by
// someone else stays, with a warning.
// TestDestroyHelp: destroy lists its own flags, not apply's.
func TestDestroyHelp(t *testing.T) {
	r := certform(t, t.TempDir(), "", "destroy", "--help")
	if r.code != exitOK {
		t.Fatalf("destroy --help\n%s", r)
	}
	mustContain(t, r, "--auto-approve", "destroy without asking", "--target", "--lock-timeout")
	for _, apply := range []string{"--no-wait", "--replace", "--parallelism", "--wait-timeout", "saved plan"} {
		if strings.Contains(r.stdout+r.stderr, apply) {
			t.Errorf("destroy --help lists apply's %s\n%s", apply, r)
		}
	}
	if r := certform(t, t.TempDir(), "", "destroy", "--no-wait"); r.code != exitError || !strings.Contains(r.stderr, "unknown flag: --no-wait") {
		t.Errorf("destroy --no-wait: want an unknown flag\n%s", r)
	}
}

func TestDestroy(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("doomed", true)+clientCert("edited", true))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	st := readState(t, dir)
	edited := filepath.Join(dir, "edited.crt")
	os.WriteFile(edited, []byte("changed by a person\n"), 0o644)
	r := certform(t, dir, c.AdminKubeconfig, "destroy")
	if r.code != exitError {
		t.Fatalf("destroy without a terminal or --auto-approve: want a refusal\n%s", r)
	}
	mustContain(t, r, "certform: error: destroy needs confirmation", "pass --auto-approve to destroy without asking")
	r = certform(t, dir, c.AdminKubeconfig, "destroy", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("destroy\n%s", r)
	}
	mustContain(t, r, "Plan: 0 to issue, 0 to renew, 0 to replace, 0 to update, 2 to delete.", "destroy requested",
		"left "+"edited.crt in place: it was modified outside certform", "Destroy complete! 2 deleted, in ")
	for _, f := range []string{"doomed.key", "doomed.crt", "edited.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s still exists (err = %v)", f, err)
		}
	}
	if data, _ := os.ReadFile(edited); string(data) != "changed by a person\n" {
		t.Error("destroy removed or changed a file someone else edited")
	}
	if after := readState(t, dir); len(after.Certificates) != 0 {
		t.Errorf("state after destroy: %v", after.Addrs())
	}
	cs, _ := kube.NewClientset(kube.Options{Kubeconfig: c.AdminKubeconfig})
	for _, rec := range st.Certificates {
		_, err := cs.CertificatesV1().CertificateSigningRequests().Get(context.Background(), rec.CSRName, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("CSR %s after destroy: err = %v, want NotFound", rec.CSRName, err)
		}
	}
}
