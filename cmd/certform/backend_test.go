package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	certv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/fault"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/state/backend/local"
	"github.com/certform/certform/state/statefile"
)

// kubernetesBackend is a backend block for a fresh state in the cluster.
func kubernetesBackend() string {
	b := make([]byte, 3)
	rand.Read(b)
	return fmt.Sprintf(`
backend "kubernetes" {
  namespace = "default"
  name      = "state-%s"
  lock_ttl  = "3s"
}
`, hex.EncodeToString(b))
}

// TestKubernetesBackend keeps state in the cluster: apply, plan, pull and
// push with lineage and serial checks; no state file is written locally.
func TestKubernetesBackend(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, kubernetesBackend()+clientCert("shared", true))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, local.DefaultPath)); !os.IsNotExist(err) {
		t.Errorf("a local state file was written (err = %v)", err)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan from the cluster's state: want no changes\n%s", r)
	}
	pulled := certform(t, dir, c.AdminKubeconfig, "state", "pull")
	st, err := statefile.Decode([]byte(pulled.stdout))
	if err != nil || st.Certificates["certificate.shared"] == nil {
		t.Fatalf("state pull: %v\n%s", err, pulled)
	}
	old := filepath.Join(t.TempDir(), "old.json")
	os.WriteFile(old, []byte(pulled.stdout), 0o600)
	if r := certform(t, dir, c.AdminKubeconfig, "state", "rm", "certificate.shared"); r.code != exitOK {
		t.Fatalf("state rm\n%s", r)
	}
	r := certform(t, dir, c.AdminKubeconfig, "state", "push", old)
	if r.code != exitError {
		t.Fatalf("pushing a stale state: want a refusal\n%s", r)
	}
	mustContain(t, r, "it is stale", "--force")
	if r := certform(t, dir, c.AdminKubeconfig, "state", "push", "--force", old); r.code != exitOK {
		t.Fatalf("state push --force\n%s", r)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "state", "list"); r.stdout != "certificate.shared\n" {
		t.Errorf("after push --force\n%s", r)
	}
	other := st.DeepCopy()
	other.Lineage = "00000000-0000-4000-8000-000000000000"
	data, _ := statefile.Encode(other)
	foreign := filepath.Join(t.TempDir(), "foreign.json")
	os.WriteFile(foreign, data, 0o600)
	mustContain(t, certform(t, dir, c.AdminKubeconfig, "state", "push", foreign), "they are different states")
}

var lockID = regexp.MustCompile(`lock ID ([0-9a-f-]{36})`)

// TestKubernetesLock: runs sharing a kubernetes backend serialise on its
// Lease; a run killed while holding it leaves a lock that expires after its
// TTL, or that force-unlock releases at once.
func TestKubernetesLock(t *testing.T) {
	c := sharedCluster(t)
	backend := kubernetesBackend()
	dirs := []string{writeConfig(t, backend+clientCert("l1", true)), writeConfig(t, backend+clientCert("l1", true))}
	kill := func() {
		t.Helper()
		cmd := certformCmd(dirs[0], c.AdminKubeconfig, "apply", "--auto-approve")
		cmd.Env = append(cmd.Env, fault.EnvVar+"="+fault.Waiting)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("the run to kill was not killed: %v\n%s", err, out)
		}
	}
	kill() // holds the Lease when it dies
	r := certform(t, dirs[1], c.AdminKubeconfig, "apply", "--auto-approve")
	if r.code != exitError {
		t.Fatalf("second run while the Lease is held: want exit 1\n%s", r)
	}
	mustContain(t, r, "state is locked by", "apply since", "lock ID")
	// Its TTL is 3 s: a run that waits longer gets the lock.
	if r := certform(t, dirs[1], c.AdminKubeconfig, "apply", "--auto-approve", "--lock-timeout=30s"); r.code != exitOK {
		t.Fatalf("run after the dead holder's lock expired\n%s", r)
	}

	kill()
	r = certform(t, dirs[1], c.AdminKubeconfig, "plan", "--lock")
	m := lockID.FindStringSubmatch(r.stderr)
	if r.code != exitError || m == nil {
		t.Fatalf("plan while a dead run holds the lock: want the lock ID\n%s", r)
	}
	r = certform(t, dirs[1], c.AdminKubeconfig, "force-unlock", m[1])
	if r.code != exitError {
		t.Fatalf("force-unlock without a terminal or --force: want a refusal\n%s", r)
	}
	mustContain(t, r, "needs confirmation", "Lease default/state-", "-lock (held by", "--force")
	if r := certform(t, dirs[1], c.AdminKubeconfig, "force-unlock", "-force", m[1]); r.code != exitOK || !strings.Contains(r.stdout, "Released the lock") {
		t.Fatalf("force-unlock -force\n%s", r)
	}
	if r := certform(t, dirs[1], c.AdminKubeconfig, "plan", "--lock"); r.code != exitOK {
		t.Errorf("plan right after force-unlock\n%s", r)
	}
}

// TestMigrateState moves a team from a local state file to the cluster:
// changing the backend block is noticed, and init --migrate-state copies the
// state, refusing a destination that holds another state.
func TestMigrateState(t *testing.T) {
	c := sharedCluster(t)
	cert := clientCert("migrated", true)
	dir := writeConfig(t, cert)
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	local := readState(t, dir)
	backend := kubernetesBackend()
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(backend+cert), 0o644)
	r := certform(t, dir, c.AdminKubeconfig, "plan")
	if r.code != exitError {
		t.Fatalf("plan after the backend changed: want a refusal\n%s", r)
	}
	mustContain(t, r, "the backend changed from local certform.state.json to kubernetes default/state-", "init --migrate-state")
	if r := certform(t, dir, c.AdminKubeconfig, "init", "--migrate-state"); r.code != exitOK {
		t.Fatalf("init --migrate-state\n%s", r)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan from the migrated state: want no changes\n%s", r)
	}
	pulled, err := statefile.Decode([]byte(certform(t, dir, c.AdminKubeconfig, "state", "pull").stdout))
	if err != nil || pulled.Lineage != local.Lineage {
		t.Errorf("migrated state: %v, lineage %v want %s", err, pulled, local.Lineage)
	}

	// Another directory with its own state cannot migrate onto this one.
	other := writeConfig(t, clientCert("other", true))
	if r := certform(t, other, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	os.WriteFile(filepath.Join(other, "main.hcl"), []byte(backend+clientCert("other", true)), 0o644)
	r = certform(t, other, c.AdminKubeconfig, "init", "--migrate-state")
	if r.code != exitError {
		t.Fatalf("migrating onto another state: want a refusal\n%s", r)
	}
	mustContain(t, r, "already holds another state")
}

// TestKubernetesBackendSerialises: while one run holds the Lease (waiting
// for a person's approval), a second run on the same state waits for it
// with --lock-timeout and proceeds once the first finishes.
func TestKubernetesBackendSerialises(t *testing.T) {
	c := sharedCluster(t)
	backend := kubernetesBackend()
	dir := writeConfig(t, backend+clientCert("serial", false))
	one, out1 := startCertform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=2m")
	name := waitForPendingIn(t, c.AdminKubeconfig, "serial")
	two, out2 := startCertform(t, dir, c.AdminKubeconfig, "plan", "--lock", "--lock-timeout=60s", "--detailed-exitcode")
	setCondition(t, c.AdminKubeconfig, name, certv1.CertificateApproved)
	if err := one.Wait(); err != nil {
		t.Fatalf("first run: %v\n%s", err, out1)
	}
	err := two.Wait()
	if err != nil || !strings.Contains(out2.String(), "No changes.") {
		t.Errorf("second run after the first released the Lease: %v\n%s", err, out2)
	}
}

// waitForPendingIn waits for the newest undecided CSR of certificate.NAME
// (for states kept in the cluster, where there is no local file to read
// the lineage from).
func waitForPendingIn(t *testing.T, kubeconfig, name string) string {
	t.Helper()
	var newest *certv1.CertificateSigningRequest
	waitForCSRs(t, kubeconfig, "", "a pending CSR for certificate."+name, func(list []*certv1.CertificateSigningRequest) bool {
		for _, csr := range list {
			if csr.Annotations[kube.AnnotationAddr] == "certificate."+name && len(csr.Status.Conditions) == 0 &&
				(newest == nil || csr.CreationTimestamp.After(newest.CreationTimestamp.Time)) {
				newest = csr
			}
		}
		return newest != nil
	})
	return newest.Name
}

// TestApplyStopsWhenLockIsLost: while an apply waits for a person's
// approval, another run takes its Lease. The apply stops at its next
// renewal (a second with lock_ttl 3s) and names the Lease, instead of
// waiting out --wait-timeout while the other run works on the state.
func TestApplyStopsWhenLockIsLost(t *testing.T) {
	c := sharedCluster(t)
	backend := kubernetesBackend()
	name := regexp.MustCompile(`name      = "(state-[0-9a-f]+)"`).FindStringSubmatch(backend)[1]
	dir := writeConfig(t, backend+clientCert("lost", false))
	run, out := startCertform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=2m")
	waitForPendingIn(t, c.AdminKubeconfig, "lost")
	leases := clientsetFor(t, c.AdminKubeconfig).CoordinationV1().Leases("default")
	for {
		lease, err := leases.Get(context.Background(), name+"-lock", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		thief := "another-run"
		lease.Spec.HolderIdentity = &thief
		if _, err := leases.Update(context.Background(), lease, metav1.UpdateOptions{}); err == nil {
			break
		} else if !apierrors.IsConflict(err) { // a renewal came first: take it again
			t.Fatal(err)
		}
	}
	err := run.Wait()
	if err == nil || !strings.Contains(out.String(), "lost the state lock (Lease default/"+name+"-lock)") {
		t.Fatalf("apply after its Lease was taken: want it to stop, naming the Lease: %v\n%s", err, out)
	}
}
