package main

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend/local"
	"github.com/certform/certform/state/statefile"
)

// homedCert is a client certificate whose key's home is the Secret
// keyhome/NAME-tls; withFiles adds an output block of copies.
func homedCert(name string, withFiles bool) string {
	out := ""
	if withFiles {
		out = `
  output {
    key_file  = "out/` + name + `.key"
    cert_file = "out/` + name + `.crt"
  }`
	}
	return `
certificate "` + name + `" {
  common_name  = "` + name + `"
  subject { organization = ["certform-tests"] }
  signer_name  = "kubernetes.io/kube-apiserver-client"
  usages       = ["digital signature", "client auth"]
  self_approve = true
  expiration_seconds = 3600` + out + `
  secret {
    namespace = "keyhome"
    name      = "` + name + `-tls"
  }
}
`
}

// pullState reads the state a clone shares through the kubernetes backend.
func pullState(t *testing.T, dir, kubeconfig string) *state.State {
	t.Helper()
	r := certform(t, dir, kubeconfig, "state", "pull")
	st, err := statefile.Decode([]byte(r.stdout))
	if err != nil {
		t.Fatalf("state pull: %v\n%s", err, r)
	}
	return st
}

func serials(st *state.State) map[string]string {
	out := map[string]string{}
	for addr, c := range st.Certificates {
		out[addr] = c.SerialNumber
	}
	return out
}

// TestTwoClonesShareKeysThroughSecrets: two fresh checkouts of one
// configuration share the kubernetes backend and apply in turn, three
// times each. The Secret is each key's home: the second clone's first run
// writes its files from the Secrets (an update, never a reissue), every
// later plan has nothing to do, and the serials never change. A copy
// edited by hand is repaired from the Secret.
func TestTwoClonesShareKeysThroughSecrets(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "keyhome")
	cfg := kubernetesBackend() + homedCert("kh-a", true) + homedCert("kh-b", true) + homedCert("kh-only", false)
	clones := []string{writeConfig(t, cfg), writeConfig(t, cfg)}
	if r := certform(t, clones[1], c.AdminKubeconfig, "validate"); r.code != exitOK || strings.Contains(r.stderr, "Warning") {
		t.Errorf("validate of certificates with Secrets: want no warning\n%s", r)
	}
	var first map[string]string
	for round := 1; round <= 3; round++ {
		for i, dir := range clones {
			r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
			if r.code != exitOK {
				t.Fatalf("round %d, clone %d: apply\n%s", round, i, r)
			}
			switch {
			case round == 1 && i == 0:
				mustContain(t, r, "3 to issue")
				first = serials(pullState(t, dir, c.AdminKubeconfig))
			case round == 1 && i == 1:
				mustContain(t, r, "0 to issue, 0 to renew, 0 to replace, 2 to update",
					"key file out/kh-a.key is missing; written from Secret keyhome/kh-a-tls",
					"cert file out/kh-b.crt is missing; written from Secret keyhome/kh-b-tls")
			default:
				mustContain(t, r, "No changes.")
			}
			if got := serials(pullState(t, dir, c.AdminKubeconfig)); len(got) != 3 || !maps.Equal(got, first) {
				t.Fatalf("round %d, clone %d: serials %v, want %v (a reissue)", round, i, got, first)
			}
			for j, other := range clones {
				want := exitOK
				if round == 1 && i == 0 && j == 1 {
					want = exitChanges // clone 1 has not written its files yet
				}
				if r := certform(t, other, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != want {
					t.Fatalf("round %d, after clone %d applied: plan in clone %d exits %d, want %d\n%s", round, i, j, r.code, want, r)
				}
			}
		}
	}
	secrets := clientsetFor(t, c.AdminKubeconfig).CoreV1().Secrets("keyhome")
	sec, err := secrets.Get(context.Background(), "kh-a-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range clones {
		if got := mustRead(t, filepath.Join(dir, "out/kh-a.key")); string(got) != string(sec.Data["tls.key"]) {
			t.Errorf("%s: the key file is not the Secret's key", dir)
		}
		if st, err := os.Stat(filepath.Join(dir, "out/kh-a.key")); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: key file mode %v, %v; want 0600", dir, st.Mode(), err)
		}
		if _, err := os.Stat(filepath.Join(dir, "out/kh-only.key")); err == nil {
			t.Errorf("%s: a file was written for the secret-only certificate", dir)
		}
	}
	pulled := filepath.Join(t.TempDir(), "state.json")
	os.WriteFile(pulled, []byte(certform(t, clones[0], c.AdminKubeconfig, "state", "pull").stdout), 0o600)
	assertNoKeyMaterial(t, pulled, sec.Data["tls.key"])

	// A copy edited by hand is repaired from the Secret, not reissued.
	os.WriteFile(filepath.Join(clones[0], "out/kh-a.key"), []byte("edited\n"), 0o600)
	r := certform(t, clones[0], c.AdminKubeconfig, "plan", "--detailed-exitcode")
	if r.code != exitChanges {
		t.Fatalf("plan after a hand edit: want changes\n%s", r)
	}
	mustContain(t, r, "key file out/kh-a.key was modified outside certform; repaired from Secret keyhome/kh-a-tls", "1 to update")
	assertNoKeyMaterialIn(t, r.stdout+r.stderr, sec.Data["tls.key"])
	if r := certform(t, clones[0], c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply repairing the key file\n%s", r)
	}
	if got := mustRead(t, filepath.Join(clones[0], "out/kh-a.key")); string(got) != string(sec.Data["tls.key"]) {
		t.Error("the key file was not repaired from the Secret")
	}
	if got := serials(pullState(t, clones[0], c.AdminKubeconfig)); !maps.Equal(got, first) {
		t.Errorf("repairing a file reissued: serials %v, want %v", got, first)
	}
	for j, dir := range clones {
		if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
			t.Errorf("plan in clone %d after the repair\n%s", j, r)
		}
	}
}

// TestFilesOnlyKeyIsOnAnotherClone: without a Secret the key file is the
// key's only copy. A clone sharing the state but not the files is told
// where the key was written and that only a new key can be issued, and
// validate warns about the combination.
func TestFilesOnlyKeyIsOnAnotherClone(t *testing.T) {
	c := sharedCluster(t)
	cfg := kubernetesBackend() + clientCert("kh-files", true)
	clones := []string{writeConfig(t, cfg), writeConfig(t, cfg)}
	r := certform(t, clones[0], c.AdminKubeconfig, "validate")
	if r.code != exitOK {
		t.Fatalf("validate\n%s", r)
	}
	mustContain(t, r, "Private key kept only in local files with a shared backend", "Add a secret block")
	if r := certform(t, clones[0], c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	st := pullState(t, clones[0], c.AdminKubeconfig)
	origin := st.Certificates["certificate.kh-files"].FilesOrigin
	host, _ := os.Hostname()
	if want, _ := filepath.EvalSymlinks(clones[0]); origin.Host != host || origin.Dir != want {
		t.Errorf("files written on %+v, want host %s and %s", origin, host, want)
	}
	r = certform(t, clones[1], c.AdminKubeconfig, "plan", "--detailed-exitcode")
	if r.code != exitChanges {
		t.Fatalf("plan in the clone without the key: want changes\n%s", r)
	}
	mustContain(t, r, "must be replaced", "key file kh-files.key is missing: the key was written in "+origin.Dir+
		", another checkout on this host, and is not in this one; only a new key can be issued")
	if r := certform(t, clones[0], c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan in the clone that holds the key\n%s", r)
	}
}

// TestSecretOnlyCertificate: a certificate with only a secret block issues
// into the Secret, writes no file, re-plans clean; when its Secret is
// deleted the plan says the only copy of the key is gone.
func TestSecretOnlyCertificate(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "keyhome")
	dir := writeConfig(t, homedCert("kh-secret", false))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	secrets := clientsetFor(t, c.AdminKubeconfig).CoreV1().Secrets("keyhome")
	sec, err := secrets.Get(context.Background(), "kh-secret-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sec.Data["tls.key"]) == 0 || len(sec.Data["tls.crt"]) == 0 {
		t.Fatalf("the Secret lacks its key or certificate: %v", sec.Data)
	}
	rec := readState(t, dir).Certificates["certificate.kh-secret"]
	if len(rec.Files) != 0 || rec.Secret == nil || !rec.FilesOrigin.IsZero() {
		t.Errorf("state records files %v, secret %v, origin %v", rec.Files, rec.Secret, rec.FilesOrigin)
	}
	assertNoKeyMaterial(t, filepath.Join(dir, local.DefaultPath), sec.Data["tls.key"])
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after apply: want no changes\n%s", r)
	}
	if err := secrets.Delete(context.Background(), "kh-secret-tls", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode")
	if r.code != exitChanges {
		t.Fatalf("plan after the Secret was deleted: want changes\n%s", r)
	}
	mustContain(t, r, "Secret keyhome/kh-secret-tls was deleted outside certform, and it held the only copy of the key")
}

// assertNoKeyMaterialIn checks that output holds no PEM private key and no
// part of keyPEM's encoding.
func assertNoKeyMaterialIn(t *testing.T, output string, keyPEM []byte) {
	t.Helper()
	body := strings.Join(strings.Split(string(keyPEM), "\n")[1:3], "")
	if strings.Contains(output, "PRIVATE KEY") || (len(body) > 20 && strings.Contains(output, body[:20])) {
		t.Error("the output shows key material")
	}
}
