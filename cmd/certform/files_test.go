package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/internal/fault"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend/local"
	"github.com/certform/certform/state/statefile"
)

// shiftedCerts is n self-approved client certificates s0…s(n-1) whose
// files are out/k(i+shift).key and .crt, with the given key encoding.
func shiftedCerts(n, shift int, encoding string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `
certificate "s%d" {
  common_name  = "s%d"
  signer_name  = "kubernetes.io/kube-apiserver-client"
  usages       = ["digital signature", "client auth"]
  self_approve = true
  expiration_seconds = 3600
  key { encoding = %q }
  output {
    key_file  = "out/k%d.key"
    cert_file = "out/k%d.crt"
  }
}
`, i, i, encoding, i+shift, i+shift)
	}
	return b.String()
}

// checkPairs checks that each of n certificates shifted by shift has a key
// file holding the key of its certificate, issued for its own name.
func checkPairs(t *testing.T, dir string, n, shift int) {
	t.Helper()
	for i := range n {
		keyPath := filepath.Join(dir, "out", fmt.Sprintf("k%d.key", i+shift))
		certPath := filepath.Join(dir, "out", fmt.Sprintf("k%d.crt", i+shift))
		key, err := pki.ParsePrivateKeyPEM(mustRead(t, keyPath))
		if err != nil {
			t.Errorf("s%d: %s: %v", i, keyPath, err)
			continue
		}
		chain, err := pki.ParseCertificatesPEM(mustRead(t, certPath))
		if err != nil {
			t.Errorf("s%d: %s: %v", i, certPath, err)
			continue
		}
		if cn := chain[0].Subject.CommonName; cn != fmt.Sprintf("s%d", i) {
			t.Errorf("s%d: %s is the certificate of %s", i, certPath, cn)
		}
		if !pki.KeyMatchesCertificate(key, chain[0]) {
			t.Errorf("s%d: %s does not hold the key of %s", i, keyPath, certPath)
		}
	}
}

// TestShiftedOutputsKeepKeys moves every certificate's files onto the
// paths its neighbour used: no key may be overwritten before its own
// certificate has moved it away, whatever the parallelism.
func TestShiftedOutputsKeepKeys(t *testing.T) {
	c := sharedCluster(t)
	const n = 6
	for _, parallelism := range []int{1, 8} {
		t.Run(fmt.Sprintf("parallelism=%d", parallelism), func(t *testing.T) {
			dir := writeConfig(t, shiftedCerts(n, 0, "pkcs8"))
			if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
				t.Fatalf("first apply\n%s", r)
			}
			for shift := 1; shift <= 2; shift++ {
				os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(shiftedCerts(n, shift, "pkcs8")), 0o644)
				r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", fmt.Sprintf("--parallelism=%d", parallelism))
				if r.code != exitOK {
					t.Fatalf("apply after shifting by %d\n%s", shift, r)
				}
				checkPairs(t, dir, n, shift)
				if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
					t.Errorf("plan after shifting by %d: want no changes\n%s", shift, r)
				}
			}
		})
	}
}

// TestSwappedOutputsRefused exchanges two certificates' paths, which one
// apply cannot do without overwriting a key before it is moved: apply
// refuses them and both keys stay where they were.
func TestSwappedOutputsRefused(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, shiftedCerts(2, 0, "pkcs8"))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("first apply\n%s", r)
	}
	swapped := strings.NewReplacer("k0.", "kX.", "k1.", "k0.").Replace(shiftedCerts(2, 0, "pkcs8"))
	swapped = strings.ReplaceAll(swapped, "kX.", "k1.")
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(swapped), 0o644)
	r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
	if r.code != exitError {
		t.Fatalf("apply of a swap: want exit 1\n%s", r)
	}
	mustContain(t, r, "exchange output paths in a cycle")
	checkPairs(t, dir, 2, 0)
}

// TestOutputsOneFileRefused names the key file a second time, by other
// spellings and through links, and certform's state file: plan and apply
// refuse before any CSR is submitted, and nothing is written.
func TestOutputsOneFileRefused(t *testing.T) {
	c := sharedCluster(t)
	cases := map[string]struct {
		extra string // more output attributes; DIR is the configuration directory
		setup func(dir string) error
		want  string
	}{
		"csr_file spelled out/./a.key": {extra: `csr_file = "out/./a.key"`, want: "Output paths collide"},
		"ca_file as an absolute path":  {extra: `ca_file = "DIR/out/a.key"`, want: "Output paths collide"},
		"chain_file is the state file": {extra: `chain_file = "./certform.state.json"`, want: "Output is certform's own file"},
		"csr_file in a symlinked directory": {
			extra: `csr_file = "link/a.key"`,
			setup: func(dir string) error {
				os.Mkdir(filepath.Join(dir, "out"), 0o755)
				return os.Symlink("out", filepath.Join(dir, "link"))
			},
			want: "are one file",
		},
		"csr_file is the state file through a link": {
			extra: `csr_file = "here/certform.state.json"`,
			setup: func(dir string) error { return os.Symlink(".", filepath.Join(dir, "here")) },
			want:  "certform's own certform.state.json",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := strings.Replace(clientCert("a", true), `cert_file = "a.crt"`, `cert_file = "out/a.crt"
    `+strings.ReplaceAll(tc.extra, "DIR", dir), 1)
			cfg = strings.Replace(cfg, `key_file  = "a.key"`, `key_file  = "out/a.key"`, 1)
			os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644)
			if tc.setup != nil {
				if err := tc.setup(dir); err != nil {
					t.Fatal(err)
				}
			}
			for _, cmd := range [][]string{{"plan"}, {"apply", "--auto-approve"}} {
				r := certform(t, dir, c.AdminKubeconfig, cmd...)
				if r.code != exitError {
					t.Fatalf("%s: want exit 1\n%s", cmd[0], r)
				}
				mustContain(t, r, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "out", "a.key")); !os.IsNotExist(err) {
				t.Errorf("out/a.key was written (err = %v)", err)
			}
			if st, err := os.ReadFile(filepath.Join(dir, "certform.state.json")); err == nil && strings.Contains(string(st), "csr_name") {
				t.Errorf("a CSR was submitted:\n%s", st)
			}
		})
	}
}

// TestDeleteConfinedToConfiguration plants paths in state, as whoever can
// write the state (a shared state Secret) could, with the hashes of files
// that are not certform's: a file outside the configuration directory,
// one reached through a link that leaves it, and a configuration file.
// destroy deletes the certificate's own files and none of those.
func TestDeleteConfinedToConfiguration(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("a", true))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(dir, "escape"))
	victims := map[string]string{ // path in state → the file it names
		filepath.Join(outside, "id_ed25519"): filepath.Join(outside, "id_ed25519"),
		"escape/known_hosts":                 filepath.Join(outside, "known_hosts"),
		"main.hcl":                           filepath.Join(dir, "main.hcl"),
		"./certform.state.json.backup":       filepath.Join(dir, "certform.state.json.backup"),
	}
	st := readState(t, dir)
	rec := st.Certificates["certificate.a"]
	for p, file := range victims {
		if _, err := os.Stat(file); os.IsNotExist(err) {
			os.WriteFile(file, []byte("not certform's: "+p), 0o600)
		}
		rec.Files[p] = state.File{Role: state.RoleCSR, SHA256: digest.SHA256(mustRead(t, file)), Mode: 0o600}
	}
	data, err := statefile.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, local.DefaultPath), data, 0o600)

	r := certform(t, dir, c.AdminKubeconfig, "destroy", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("destroy\n%s", r)
	}
	mustContain(t, r, "outside the configuration directory", "is a configuration file", "certform's own")
	for p, file := range victims {
		if _, err := os.Stat(file); err != nil {
			t.Errorf("%s (named %s in state) was deleted: %v", file, p, err)
		}
	}
	for _, f := range []string{"a.key", "a.crt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s still exists (err = %v)", f, err)
		}
	}
}

// TestKilledRunTempsRemoved kills apply between the renames of its output
// files, which leaves the other files' temporary copies behind, plants the
// temporary key copy a kill before the renames leaves (sec1: a complete
// private key), and checks that the next apply removes them and nothing
// else that merely looks alike.
func TestKilledRunTempsRemoved(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, shiftedCerts(1, 0, "sec1"))
	cmd := certformCmd(dir, c.AdminKubeconfig, "apply", "--auto-approve")
	cmd.Env = append(cmd.Env, fault.EnvVar+"="+fault.AfterFirstWrite)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("apply was not killed: %v\n%s", err, out)
	}
	temps := func() []string {
		names, _ := filepath.Glob(filepath.Join(dir, "out", ".k0.*.tmp-*"))
		return names
	}
	if len(temps()) == 0 {
		t.Fatal("the killed run left no temporary file; the test no longer reproduces the leak")
	}
	planted := filepath.Join(dir, "out", ".k0.key.tmp-4242")
	os.WriteFile(planted, []byte("-----BEGIN EC PRIVATE KEY-----\n"), 0o600)
	decoys := []string{
		filepath.Join(dir, "out", ".k0.key.tmp-4242x"),   // not the pattern
		filepath.Join(dir, "out", ".k9.key.tmp-1"),       // not an output of this configuration
		filepath.Join(dir, "elsewhere", ".k0.key.tmp-1"), // not a directory certform writes to
	}
	for _, d := range decoys {
		os.MkdirAll(filepath.Dir(d), 0o755)
		os.WriteFile(d, []byte("someone else's\n"), 0o600)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply after the kill\n%s", r)
	}
	for _, left := range temps() {
		if !slices.Contains(decoys, left) {
			t.Errorf("%s survived the next apply", left)
		}
	}
	for _, d := range decoys {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s, not certform's, was removed: %v", d, err)
		}
	}
	checkPairs(t, dir, 1, 0)
}
