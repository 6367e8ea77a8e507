package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/fault"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/state"
)

// TestKilledApplyConverges kills certform apply with SIGKILL at every step
// boundary (a real process, as a crash or an OOM kill would), runs it
// again, and checks that the run converged: state parses, every address is
// issued, each key matches its certificate, and no CSR of this state is
// left that state does not record.
func TestKilledApplyConverges(t *testing.T) {
	c := sharedCluster(t)
	points := []string{fault.AfterKeygen, fault.Submitting, fault.AfterCreate, fault.AfterApprove, fault.Waiting,
		fault.AfterFirstWrite, fault.AfterFiles, fault.JournalAppend, fault.StatePersist}
	for _, point := range points {
		t.Run(point, func(t *testing.T) {
			dir := writeConfig(t, clientCert("a", true)+clientCert("b", true))
			cmd := certformCmd(dir, c.AdminKubeconfig, "apply", "--auto-approve", "--parallelism=1")
			cmd.Env = append(cmd.Env, fault.EnvVar+"="+point)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("apply with %s=%s was not killed: %v\n%s", fault.EnvVar, point, err, out)
			}
			r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
			if r.code != exitOK {
				t.Fatalf("apply after the kill failed\n%s", r)
			}
			if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
				t.Errorf("plan after recovery: want no changes\n%s", r)
			}
			checkConverged(t, dir, c.AdminKubeconfig, "a", "b")
		})
	}
}

func checkConverged(t *testing.T, dir, kubeconfig string, names ...string) {
	t.Helper()
	st := readState(t, dir)
	recorded := map[string]bool{}
	for _, name := range names {
		rec := st.Certificates["certificate."+name]
		if rec == nil || rec.Status != state.StatusIssued {
			t.Errorf("certificate.%s: %+v, want issued", name, rec)
			continue
		}
		recorded[rec.CSRName] = true
		key, err := pki.ParsePrivateKeyPEM(mustRead(t, filepath.Join(dir, name+".key")))
		if err != nil {
			t.Fatal(err)
		}
		chain, err := pki.ParseCertificatesPEM(mustRead(t, filepath.Join(dir, name+".crt")))
		if err != nil {
			t.Fatal(err)
		}
		if !pki.KeyMatchesCertificate(key, chain[0]) {
			t.Errorf("certificate.%s: key and certificate do not match", name)
		}
		if st, _ := os.Stat(filepath.Join(dir, name+".key")); st.Mode().Perm() != 0o600 {
			t.Errorf("certificate.%s: key mode %o", name, st.Mode().Perm())
		}
	}
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	list, err := cs.CertificatesV1().CertificateSigningRequests().List(context.Background(), metav1.ListOptions{LabelSelector: kube.Selector(st.Lineage)})
	if err != nil {
		t.Fatal(err)
	}
	var orphans []string
	for _, csr := range list.Items {
		if !recorded[csr.Name] {
			orphans = append(orphans, csr.Name)
		}
	}
	if len(orphans) > 0 {
		t.Errorf("CSRs of this state that state does not record: %s", strings.Join(orphans, ", "))
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, ".certform/pending-keys")); len(entries) != 0 {
		t.Errorf("%d pending key(s) left after convergence", len(entries))
	}
}
