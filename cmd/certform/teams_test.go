package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	certv1 "k8s.io/api/certificates/v1"

	"github.com/certform/certform/state"
	"github.com/certform/certform/state/statefile"
)

// run runs cmd and collects its result.
func run(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	code := 0
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// certformEnv runs certform in dir with extra environment variables.
func certformEnv(t *testing.T, dir, kubeconfig string, env []string, args ...string) result {
	t.Helper()
	cmd := certformCmd(dir, kubeconfig, args...)
	cmd.Env = append(cmd.Env, env...)
	return run(t, cmd)
}

// publicDir is a new directory every user can enter (t.TempDir's are
// 0700), for runs as another user.
func publicDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "certform-public-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// snapshot lists every file under dir with its size and mode.
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		info, _ := d.Info()
		out = append(out, path+" "+info.Mode().String())
		return nil
	})
	return out
}

// nobody runs certform as uid 65534 on a configuration directory.
type nobody struct {
	t                     *testing.T
	bin, home, kubeconfig string
	cfg                   string
}

// newNobody copies the binary and kubeconfig to where uid 65534 can read
// them, under root (a publicDir).
func newNobody(t *testing.T, root, cfg, kubeconfig string) *nobody {
	n := &nobody{t: t, bin: filepath.Join(root, "certform"), home: root, kubeconfig: filepath.Join(root, "kubeconfig"), cfg: cfg}
	os.WriteFile(n.kubeconfig, mustRead(t, kubeconfig), 0o644)
	os.WriteFile(n.bin, mustRead(t, certformBin), 0o755)
	return n
}

func (n *nobody) run(env []string, args ...string) result {
	n.t.Helper()
	cmd := exec.Command(n.bin, append([]string{"--chdir", n.cfg}, args...)...)
	cmd.Env = append(append([]string{"HOME=" + n.home, "PATH=" + os.Getenv("PATH"), "KUBECONFIG=" + n.kubeconfig, "NO_COLOR=1"}, coverEnv()...), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	return run(n.t, cmd)
}

// TestReadOnlyConfiguration: plan and validate run on a configuration
// directory nobody may write, as a ConfigMap mounted in a pod, and create
// nothing in it; apply works too once the data directory is elsewhere.
// The runs as uid 65534 prove the permissions; the root runs (which
// permissions do not stop) prove nothing is created.
func TestReadOnlyConfiguration(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run certform as another user")
	}
	c := sharedCluster(t)
	root := publicDir(t)
	cfg, data, out := filepath.Join(root, "config"), filepath.Join(root, "data"), filepath.Join(root, "out")
	for _, d := range []string{cfg, data, out} {
		os.Mkdir(d, 0o755)
	}
	os.Chown(data, 65534, 65534)
	os.Chown(out, 65534, 65534)
	hcl := kubernetesBackend() + strings.NewReplacer(`"ro.key"`, `"`+out+`/ro.key"`, `"ro.crt"`, `"`+out+`/ro.crt"`).Replace(clientCert("ro", true))
	os.WriteFile(filepath.Join(cfg, "main.hcl"), []byte(hcl), 0o444)
	os.WriteFile(filepath.Join(cfg, "certform.tfvars"), []byte("# no variables\n"), 0o444)
	os.Chmod(cfg, 0o555)
	nobody := newNobody(t, root, cfg, c.AdminKubeconfig)
	kubeconfig := nobody.kubeconfig
	before := snapshot(t, cfg)
	asNobody := nobody.run
	if r := asNobody(nil, "validate"); r.code != exitOK {
		t.Fatalf("validate on a read-only configuration\n%s", r)
	}
	if r := asNobody(nil, "plan"); r.code != exitOK {
		t.Fatalf("plan on a read-only configuration\n%s", r)
	}
	if r := asNobody([]string{"CERTFORM_DATA_DIR=" + data}, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply with the data directory elsewhere\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(data, "backend.json")); err != nil {
		t.Errorf("the data directory holds no backend record: %v", err)
	}
	if r := asNobody(nil, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after apply: want no changes\n%s", r)
	}
	for _, args := range [][]string{{"validate"}, {"plan", "--detailed-exitcode"}, {"status"}, {"show"}} {
		if r := certform(t, cfg, kubeconfig, args...); r.code != exitOK {
			t.Errorf("%s as root\n%s", args, r)
		}
	}
	if diff := cmp.Diff(before, snapshot(t, cfg)); diff != "" {
		t.Errorf("the configuration directory changed (-before +after):\n%s", diff)
	}
}

// TestSavedPlanCarriesVariables: apply PLANFILE needs no variables, and
// refuses ones that differ; a sensitive value is never shown.
func TestSavedPlanCarriesVariables(t *testing.T) {
	c := sharedCluster(t)
	const token = "tok-s3cret-value"
	dir := writeConfig(t, `
variable "team" {
  type = string
}
variable "token" {
  type      = string
  sensitive = true
}
`+strings.Replace(clientCert("carried", true), `["certform-tests"]`, `[var.team]`, 1))
	os.WriteFile(filepath.Join(dir, "staging.tfvars"), []byte(`team = "staging"`+"\ntoken = \""+token+"\"\n"), 0o644)
	var all []result
	do := func(want int, args ...string) result {
		t.Helper()
		r := certform(t, dir, c.AdminKubeconfig, args...)
		all = append(all, r)
		if r.code != want {
			t.Fatalf("%s: want exit %d\n%s", args, want, r)
		}
		return r
	}
	do(exitOK, "plan", "--var-file", "staging.tfvars", "--out", "p")
	if info, err := os.Stat(filepath.Join(dir, "p")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("plan file: %v, mode %v; want 0600", err, info.Mode())
	}
	do(exitOK, "show", "p")
	do(exitOK, "show", "--json", "p")
	do(exitOK, "apply", "p")
	rec := readState(t, dir).Certificates["certificate.carried"]
	if rec == nil || rec.Request.Organization[0] != "staging" {
		t.Errorf("applied record: %+v", rec)
	}

	do(exitOK, "plan", "--var-file", "staging.tfvars", "--replace", "certificate.carried", "--out", "p2")
	r := do(exitError, "apply", "--var", "team=prod", "p2")
	mustContain(t, r, "Variable differs from the saved plan", `another value of "team" than --var team`)
	r = do(exitError, "apply", "--var", "token=guess", "p2")
	mustContain(t, r, `another value of "token"`)
	do(exitOK, "apply", "--var-file", "staging.tfvars", "p2") // the same values are fine
	for _, r := range all {
		if strings.Contains(r.stdout+r.stderr, token) || strings.Contains(r.stdout+r.stderr, "guess") {
			t.Errorf("a sensitive value was shown\n%s", r)
		}
	}
}

// TestPlanWhileApplyWaits: a plan (a pull request's) made while an apply
// waits for a person to approve its CSR answers at once with a plan,
// instead of failing or waiting on the lock; --lock still takes it.
func TestPlanWhileApplyWaits(t *testing.T) {
	c := sharedCluster(t)
	tests := map[string]struct {
		backend string
		name    string
	}{
		"local":      {"", "waitlocal"},
		"kubernetes": {kubernetesBackend(), "waitkube"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := writeConfig(t, tt.backend+clientCert(tt.name, false))
			apply, out := startCertform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=5m")
			csr := waitForPendingIn(t, c.AdminKubeconfig, tt.name)
			r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode", "--out", filepath.Join(t.TempDir(), "p"))
			if r.code == exitError {
				t.Errorf("plan while an apply waits for approval\n%s", r)
			}
			if r := certform(t, dir, c.AdminKubeconfig, "plan", "--lock"); r.code != exitError || !strings.Contains(r.stderr, "state is locked by") {
				t.Errorf("plan --lock while an apply holds the lock: want the holder\n%s", r)
			}
			setCondition(t, c.AdminKubeconfig, csr, certv1.CertificateApproved)
			if err := apply.Wait(); err != nil {
				t.Fatalf("apply: %v\n%s", err, out)
			}
		})
	}
}

// TestWorkspaces: staging and prod from one directory keep separate state,
// keys and files in both backends; switching adopts nothing of the other.
func TestWorkspaces(t *testing.T) {
	c := sharedCluster(t)
	tests := map[string]string{"local": "", "kubernetes": kubernetesBackend()}
	for name, backend := range tests {
		t.Run(name, func(t *testing.T) {
			cert := strings.NewReplacer(`"ws-`+name+`.key"`, `"out/${certform.workspace}/tls.key"`,
				`"ws-`+name+`.crt"`, `"out/${certform.workspace}/tls.crt"`).Replace(clientCert("ws-"+name, true))
			dir := writeConfig(t, backend+cert)
			ws := func(env []string, args ...string) result {
				t.Helper()
				r := certformEnv(t, dir, c.AdminKubeconfig, env, args...)
				if r.code != exitOK {
					t.Fatalf("%s %s\n%s", env, args, r)
				}
				return r
			}
			ws(nil, "workspace", "new", "staging")
			ws(nil, "apply", "--auto-approve")
			ws(nil, "workspace", "new", "prod")
			ws(nil, "apply", "--auto-approve")
			if got := ws(nil, "workspace", "list").stdout; got != "  default\n* prod\n  staging\n" {
				t.Errorf("workspace list:\n%s", got)
			}
			records := map[string]*state.Certificate{}
			for _, w := range []string{"default", "staging", "prod"} {
				st, err := statefile.Decode([]byte(ws([]string{"CERTFORM_WORKSPACE=" + w}, "state", "pull").stdout))
				if err != nil {
					t.Fatal(err)
				}
				records[w] = st.Certificates["certificate.ws-"+name]
			}
			if records["default"] != nil || records["staging"] == nil || records["prod"] == nil {
				t.Fatalf("records per workspace: %+v", records)
			}
			if records["staging"].KeySHA256 == records["prod"].KeySHA256 || records["staging"].SerialNumber == records["prod"].SerialNumber {
				t.Errorf("staging and prod share a key or certificate")
			}
			if bytes.Equal(mustRead(t, filepath.Join(dir, "out/staging/tls.key")), mustRead(t, filepath.Join(dir, "out/prod/tls.key"))) {
				t.Errorf("staging and prod key files are the same")
			}
			ws(nil, "workspace", "select", "staging")
			ws(nil, "plan", "--detailed-exitcode")
			ws([]string{"CERTFORM_WORKSPACE=prod"}, "plan", "--detailed-exitcode")
			if got := ws([]string{"CERTFORM_WORKSPACE=prod"}, "workspace", "show").stdout; got != "prod\n" {
				t.Errorf("workspace show with CERTFORM_WORKSPACE=prod: %q", got)
			}
			if r := certform(t, dir, c.AdminKubeconfig, "workspace", "delete", "prod"); r.code != exitError || !strings.Contains(r.stderr, "still manages 1 certificate") {
				t.Errorf("deleting a workspace that manages certificates: want a refusal\n%s", r)
			}
			ws([]string{"CERTFORM_WORKSPACE=prod"}, "destroy", "--auto-approve")
			ws(nil, "workspace", "delete", "prod")
			if got := ws(nil, "workspace", "list").stdout; got != "  default\n* staging\n" {
				t.Errorf("workspace list after delete:\n%s", got)
			}
			st, _ := statefile.Decode([]byte(ws(nil, "state", "pull").stdout))
			if got := st.Certificates["certificate.ws-"+name]; got == nil || got.SerialNumber != records["staging"].SerialNumber {
				t.Errorf("staging after prod's destroy: %+v", got)
			}
		})
	}
}

// TestTeamCommandsOffline: what needs no cluster. A saved plan is shown
// and checked without variables; workspace commands need no variable
// values; a .hcl var file in the configuration is explained.
func TestTeamCommandsOffline(t *testing.T) {
	dir := writeConfig(t, `
variable "team" {
  type = string
}
variable "token" {
  type      = string
  sensitive = true
}
`+strings.Replace(clientCert("off", true), `["certform-tests"]`, `[var.team]`, 1))
	os.WriteFile(filepath.Join(dir, "staging.tfvars"), []byte("team = \"staging\"\ntoken = \"tok-s3cret-value\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "prod.hcl"), []byte("team = \"prod\"\n"), 0o644)
	steps := []struct {
		args []string
		want int
		says []string
	}{
		{[]string{"validate", "--var-file", "prod.hcl"}, exitError, []string{"Variable file is a configuration file", "Rename it to prod.tfvars"}},
		{[]string{"validate"}, exitError, []string{"Variable values in a configuration file"}},
	}
	for _, st := range steps {
		r := certform(t, dir, "", st.args...)
		if r.code != st.want {
			t.Fatalf("%s: want exit %d\n%s", st.args, st.want, r)
		}
		mustContain(t, r, st.says...)
	}
	os.Rename(filepath.Join(dir, "prod.hcl"), filepath.Join(dir, "prod.tfvars"))
	steps = []struct {
		args []string
		want int
		says []string
	}{
		{[]string{"plan", "--refresh=false", "--var-file", "staging.tfvars", "--out", "p"}, exitOK, nil},
		{[]string{"show", "p"}, exitOK, []string{"1 to issue"}},
		{[]string{"show", "--json", "p"}, exitOK, nil},
		{[]string{"apply", "--var-file", "prod.tfvars", "p"}, exitError, []string{`another value of "team" than prod.tfvars`}},
		{[]string{"workspace", "new", "staging"}, exitOK, []string{`Switched to workspace "staging"`}},
		{[]string{"show", "p"}, exitError, []string{`made in workspace "default", but workspace "staging" is selected`}},
		{[]string{"workspace", "list"}, exitOK, []string{"  default\n* staging\n"}},
		{[]string{"workspace", "delete", "staging"}, exitError, []string{"is selected"}},
		{[]string{"workspace", "select", "nope"}, exitError, []string{`workspace "nope" does not exist`}},
		{[]string{"workspace", "select", "default"}, exitOK, nil},
		{[]string{"workspace", "delete", "staging"}, exitOK, nil},
		{[]string{"workspace", "list"}, exitOK, []string{"* default\n"}},
	}
	for _, st := range steps {
		r := certform(t, dir, "", st.args...)
		if r.code != st.want {
			t.Fatalf("%s: want exit %d\n%s", st.args, st.want, r)
		}
		mustContain(t, r, st.says...)
		if strings.Contains(r.stdout+r.stderr, "tok-s3cret-value") {
			t.Errorf("%s shows a sensitive value\n%s", st.args, r)
		}
	}
}
