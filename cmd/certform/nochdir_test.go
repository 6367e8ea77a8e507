package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/certform/certform/state/statefile"
)

// chdirConfig is a configuration whose every relative path is in its own
// directory: a kubeconfig named in the kubernetes block, file(), a
// ca_bundle file, a local module, outputs in a subdirectory (keystore
// among them), and an on_change command that writes where it ran.
const chdirConfig = `
kubernetes {
  kubeconfig = "kube/admin.kubeconfig"
}

variable "cn" {
  type = string
}

variable "keystore_password" {
  type      = string
  sensitive = true
}

locals {
  org = trimspace(file("org.txt"))
}

ca_bundle "cluster" {
  source { file = "signer.crt" }
}

certificate "web" {
  common_name        = var.cn
  subject { organization = [local.org] }
  signer_name        = "kubernetes.io/kube-apiserver-client"
  usages             = ["digital signature", "client auth"]
  self_approve       = true
  expiration_seconds = 3600
  output {
    key_file    = "out/web.key"
    cert_file   = "out/web.crt"
    ca_file     = "out/ca.crt"
    ca_bundle   = ca_bundle.cluster
    pkcs12_file = "out/web.p12"
  }
  keystore {
    password = var.keystore_password
  }
  on_change {
    command = ["sh", "-c", "pwd > hook.pwd"]
  }
}

module "edge" {
  source = "./modules/edge"
  cn     = "edge"
}
`

const chdirModule = `
variable "cn" {
  type = string
}

certificate "tls" {
  common_name        = var.cn
  signer_name        = "kubernetes.io/kube-apiserver-client"
  usages             = ["digital signature", "client auth"]
  self_approve       = true
  expiration_seconds = 3600
  output {
    key_file  = "out/edge.key"
    cert_file = "out/edge.crt"
  }
}
`

// chdirLayout makes root/cfg, holding chdirConfig and what it reads, and
// the empty directories root/cwd and root/elsewhere to run certform from.
func chdirLayout(t *testing.T, kubeconfig, signerCA string) (root string) {
	t.Helper()
	root = t.TempDir()
	files := map[string][]byte{
		"cfg/main.hcl":              []byte(chdirConfig),
		"cfg/modules/edge/main.hcl": []byte(chdirModule),
		"cfg/org.txt":               []byte("certform-tests\n"),
		"cfg/vars.tfvars":           []byte("cn = \"web\"\nkeystore_password = \"changeit\"\n"),
		"cfg/signer.crt":            mustRead(t, signerCA),
		"cfg/kube/admin.kubeconfig": mustRead(t, kubeconfig),
	}
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"cwd", "elsewhere"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// treeOf lists the files under dir, relative, sorted.
func treeOf(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestChdirKeepsWorkingDirectory runs a whole life cycle in process with
// --chdir naming the configuration relative to another directory: the
// process's working directory never changes (certform never changes it),
// and every file lands in the configuration directory, read and written
// there: outputs, keystore, state, data directory, saved plan, the hook's
// working directory; nothing in the working directory.
func TestChdirKeepsWorkingDirectory(t *testing.T) {
	c := sharedCluster(t)
	root := chdirLayout(t, c.AdminKubeconfig, c.SignerCAFile)
	cwd := filepath.Join(root, "cwd")
	t.Chdir(cwd)
	cfg := filepath.Join(root, "cfg")
	t.Setenv("KUBECONFIG", filepath.Join(root, "no-such-kubeconfig")) // the kubernetes block's must be the one used
	t.Setenv("NO_COLOR", "1")
	run := func(wantCode int, args ...string) result {
		t.Helper()
		r := inProcess(append([]string{"--chdir", "../cfg"}, args...)...)
		if r.code != wantCode {
			t.Fatalf("certform %s: want exit %d\n%s", strings.Join(args, " "), wantCode, r)
		}
		if wd, err := os.Getwd(); err != nil || wd != cwd {
			t.Fatalf("certform %s changed the working directory to %s (%v), want %s", strings.Join(args, " "), wd, err, cwd)
		}
		return r
	}
	vars := []string{"--var-file", "vars.tfvars"}
	run(exitOK, append([]string{"init"}, vars...)...)
	run(exitOK, append([]string{"validate"}, vars...)...)
	r := run(exitChanges, append([]string{"plan", "--detailed-exitcode", "--out", "tfplan"}, vars...)...)
	mustContain(t, r, "+ certificate.web", "+ module.edge.certificate.tls", "out/web.key", "Saved the plan to tfplan")
	run(exitOK, "show", "tfplan")
	run(exitOK, "apply", "tfplan")
	// A clean plan: refresh found every file where apply wrote it.
	run(exitOK, append([]string{"plan", "--detailed-exitcode"}, vars...)...)
	// A reissue runs the hook, and reads the old key file where it is.
	r = run(exitOK, append([]string{"apply", "--auto-approve", "--replace", "certificate.web"}, vars...)...)
	mustContain(t, r, "ran on_change.command")
	r = run(exitOK, "state", "list")
	mustContain(t, r, "certificate.web\nmodule.edge.certificate.tls\n")
	r = run(exitOK, append([]string{"status", "--json"}, vars...)...)
	if n := strings.Count(r.stdout, `"files": "ok"`); n != 2 {
		t.Errorf("status finds %d of 2 certificates' files where state says:\n%s", n, r)
	}
	run(exitOK, "workspace", "list")

	if got := treeOf(t, cwd); len(got) > 0 {
		t.Errorf("files written in the working directory: %q", got)
	}
	got := treeOf(t, cfg)
	for _, want := range []string{".certform/backend.json", "certform.state.json", "hook.pwd", "tfplan",
		"out/web.key", "out/web.crt", "out/ca.crt", "out/web.p12", "out/edge.key", "out/edge.crt"} {
		if !slices.Contains(got, want) {
			t.Errorf("%s missing from the configuration directory, which holds %q", want, got)
		}
	}
	if pwd := strings.TrimSpace(string(mustRead(t, filepath.Join(cfg, "hook.pwd")))); pwd != cfg {
		t.Errorf("on_change.command ran in %s, want the configuration directory %s", pwd, cfg)
	}
	st, err := statefile.Decode(mustRead(t, filepath.Join(cfg, "certform.state.json")))
	if err != nil {
		t.Fatal(err)
	}
	if rec := st.Certificates["certificate.web"]; rec == nil {
		t.Errorf("no state record of certificate.web")
	} else if rec.FilesOrigin.Dir != cfg || rec.Files["out/web.key"].Role != "key" {
		t.Errorf("state records the files as %+v, written in %+v; want out/web.key as written, in %s", rec.Files, rec.FilesOrigin, cfg)
	}

	// destroy deletes the outputs (confinement places them in the
	// configuration directory) and prunes the directory they leave empty.
	run(exitOK, append([]string{"destroy", "--auto-approve"}, vars...)...)
	for _, gone := range []string{"out/web.key", "out/web.crt", "out/web.p12", "out/edge.key", "out"} {
		if _, err := os.Lstat(filepath.Join(cfg, gone)); err == nil {
			t.Errorf("destroy left %s in the configuration directory", gone)
		}
	}
	if got := treeOf(t, cwd); len(got) > 0 {
		t.Errorf("files written in the working directory: %q", got)
	}
}

// TestChdirJourney: the real binary, run from one directory with --chdir
// relative to it, applies against the real cluster; run from a third
// directory with another relative --chdir, it plans no changes; and
// neither run writes where it was started.
func TestChdirJourney(t *testing.T) {
	c := sharedCluster(t)
	root := chdirLayout(t, c.AdminKubeconfig, c.SignerCAFile)
	run := func(wd, chdir string, wantCode int, args ...string) result {
		t.Helper()
		cmd := exec.Command(certformBin, append([]string{"-chdir=" + chdir}, args...)...)
		cmd.Dir = wd
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "KUBECONFIG=")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		r := result{stdout: stdout.String(), stderr: stderr.String()}
		if exit, ok := err.(*exec.ExitError); ok {
			r.code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if r.code != wantCode {
			t.Fatalf("certform %s (in %s): want exit %d\n%s", strings.Join(args, " "), wd, wantCode, r)
		}
		return r
	}
	cwd, elsewhere := filepath.Join(root, "cwd"), filepath.Join(root, "elsewhere")
	r := run(cwd, "../cfg", exitOK, "apply", "--auto-approve", "--var-file", "vars.tfvars")
	mustContain(t, r, "Apply complete")
	r = run(elsewhere, filepath.Join("..", "cfg", "."), exitOK, "plan", "--detailed-exitcode", "--var-file", "vars.tfvars")
	mustContain(t, r, "No changes")
	for _, d := range []string{cwd, elsewhere} {
		if got := treeOf(t, d); len(got) > 0 {
			t.Errorf("files written in %s, where certform was started: %q", d, got)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "cfg", "out", "web.p12")); err != nil {
		t.Errorf("the keystore is not in the configuration directory: %v", err)
	}
}
