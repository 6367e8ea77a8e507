package main

import (
	"context"
	"testing"

	certv1 "k8s.io/api/certificates/v1"

	"github.com/certform/certform/internal/testcluster"
)

// TestWaitSurvivesAPIServerRestart restarts kube-apiserver while apply
// waits for approval; the approval arrives after the restart and apply
// collects the certificate.
func TestWaitSurvivesAPIServerRestart(t *testing.T) {
	c, err := testcluster.StartPrivate(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	dir := writeConfig(t, clientCert("restart", false))
	cmd, out := startCertform(t, dir, c.RestrictedKubeconfig, "apply", "--auto-approve", "--wait-timeout=2m")
	name := waitForPending(t, c.AdminKubeconfig, dir, "restart")
	if err := c.RestartAPIServer(); err != nil {
		t.Fatalf("restarting kube-apiserver: %v", err)
	}
	setCondition(t, c.AdminKubeconfig, name, certv1.CertificateApproved)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("apply across a restart: %v\n%s", err, out.String())
	}
	checkConverged(t, dir, c.AdminKubeconfig, "restart")
}
