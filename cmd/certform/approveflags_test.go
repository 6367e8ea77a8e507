package main

import (
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	certv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/testcluster"
)

// TestApproverDenyUnmatchedAndNoLeaderElection pins two documented flags
// of approve (docs/approver.md), on a cluster of its own, since
// --deny-unmatched denies every pending CSR no policy speaks for: without
// it such a CSR is left pending; with it, it is denied and says why; and
// approve --watch --leader-elect=false decides without ever taking the
// Lease.
func TestApproverDenyUnmatchedAndNoLeaderElection(t *testing.T) {
	c, err := testcluster.StartPrivate(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	policies := writeConfig(t, teamPolicy) // kubelet-serving only
	csrs := csrClient(t, c.AdminKubeconfig)
	submit := func(name string) string {
		t.Helper()
		dir := writeConfig(t, clientCert(name, false))
		if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--no-wait"); r.code != exitOK {
			t.Fatalf("apply --no-wait\n%s", r)
		}
		return readState(t, dir).Certificates["certificate."+name].CSRName
	}
	conditions := func(name string) []certv1.CertificateSigningRequestCondition {
		t.Helper()
		csr, err := csrs.Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return csr.Status.Conditions
	}

	name := submit("unmatched")
	if r := certform(t, ".", c.AdminKubeconfig, "approve", "--policy", policies); r.code != exitOK || !strings.Contains(r.stdout, name+" skip: no policy applies") {
		t.Errorf("approve without --deny-unmatched: want %s skipped\n%s", name, r)
	}
	if conds := conditions(name); len(conds) != 0 {
		t.Errorf("without --deny-unmatched the CSR has conditions %+v, want it left pending", conds)
	}
	r := certform(t, ".", c.AdminKubeconfig, "approve", "--policy", policies, "--deny-unmatched")
	mustContain(t, r, name+" deny: denied by certform: no policy applies to this signer and requester (--deny-unmatched)")
	if conds := conditions(name); len(conds) != 1 || conds[0].Type != certv1.CertificateDenied {
		t.Errorf("with --deny-unmatched the CSR has conditions %+v, want Denied", conds)
	}

	outs := newOutputs(1)
	cmd := certformCmd(".", c.AdminKubeconfig, "approve", "--policy", policies, "--watch", "--json", "--deny-unmatched", "--leader-elect=false")
	cmd.Stdout, cmd.Stderr = outs.writer(0), outs.writer(0)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stopApprover(cmd)
	name = submit("unmatched-watched")
	outs.waitFor(t, "the approver deciding "+name, func(o []string) bool {
		return strings.Contains(o[0], `"csr":"`+name+`"`)
	})
	if !strings.Contains(outs.String(0), `"verdict":"deny"`) {
		t.Errorf("the watching approver did not deny %s:\n%s", name, outs.String(0))
	}
	cs, err := c.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoordinationV1().Leases("default").Get(context.Background(), "certform-approver", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("approve --leader-elect=false took the Lease default/certform-approver (err = %v)\n%s", err, outs.String(0))
	}
}

func stopApprover(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
}
