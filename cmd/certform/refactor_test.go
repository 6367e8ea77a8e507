package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend/local"
	"github.com/certform/certform/state/statefile"
)

// TestMovedBlockKeepsKeyAndSerial renames a block with a moved block: the
// plan shows the move and nothing to issue, apply renames the record and
// the Secret's address annotation, and the key and certificate stay.
func TestMovedBlockKeepsKeyAndSerial(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, secretCert("mv-old"))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	before := readState(t, dir).Certificates["certificate.mv-old"]
	keyBefore := mustRead(t, filepath.Join(dir, "mv-old.key"))

	renamed := strings.Replace(secretCert("mv-old"), `certificate "mv-old"`, `certificate "mv-new"`, 1) + `
moved {
  from = certificate.mv-old
  to   = certificate.mv-new
}
`
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(renamed), 0o644)
	r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode")
	if r.code != exitChanges {
		t.Fatalf("plan of a move: want exit 2\n%s", r)
	}
	mustContain(t, r, "# certificate.mv-old has moved to certificate.mv-new", "Plan: 0 to issue, 0 to renew, 0 to replace, 0 to update, 0 to delete. 1 to move.")
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply of a move\n%s", r)
	} else {
		mustContain(t, r, "certificate.mv-new: moved from certificate.mv-old")
	}
	st := readState(t, dir)
	after := st.Certificates["certificate.mv-new"]
	switch {
	case st.Certificates["certificate.mv-old"] != nil:
		t.Error("the old address is still in state")
	case after == nil:
		t.Fatal("the new address is not in state")
	case after.SerialNumber != before.SerialNumber || after.KeySHA256 != before.KeySHA256 || after.CSRName != before.CSRName:
		t.Errorf("the move reissued: serial %s → %s, key %s → %s", before.SerialNumber, after.SerialNumber, before.KeySHA256, after.KeySHA256)
	}
	if got := mustRead(t, filepath.Join(dir, "mv-old.key")); string(got) != string(keyBefore) {
		t.Error("the key file changed")
	}
	cs, _ := c.AdminClient()
	sec, err := cs.CoreV1().Secrets("default").Get(context.Background(), "mv-old-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := sec.Annotations[kube.AnnotationAddr]; got != "certificate.mv-new" {
		t.Errorf("the Secret's address annotation is %q, want certificate.mv-new", got)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after the move, with the moved block still there: want no changes\n%s", r)
	}
}

// TestRemovedForgetLeavesEverything forgets an address with a removed
// block (destroy = false): state drops it, and its files, Secret and CSR
// stay as they were.
func TestRemovedForgetLeavesEverything(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, secretCert("rm-kept")+secretCert("rm-forgotten"))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	rec := readState(t, dir).Certificates["certificate.rm-forgotten"]
	files := map[string][]byte{}
	for _, name := range []string{"rm-forgotten.key", "rm-forgotten.crt"} {
		files[name] = mustRead(t, filepath.Join(dir, name))
	}
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(secretCert("rm-kept")+`
removed {
  from = certificate.rm-forgotten
  lifecycle {
    destroy = false
  }
}
`), 0o644)
	r := certform(t, dir, c.AdminKubeconfig, "plan")
	mustContain(t, r, "# certificate.rm-forgotten will be removed from state; the files, Secret and CSR stay", "1 to forget")
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply of a removed block\n%s", r)
	}
	st := readState(t, dir)
	if st.Certificates["certificate.rm-forgotten"] != nil || st.Certificates["certificate.rm-kept"] == nil {
		t.Errorf("state holds %v; want only certificate.rm-kept", st.Addrs())
	}
	for name, want := range files {
		if got := mustRead(t, filepath.Join(dir, name)); string(got) != string(want) {
			t.Errorf("%s changed or went", name)
		}
	}
	cs, _ := c.AdminClient()
	ctx := context.Background()
	sec, err := cs.CoreV1().Secrets("default").Get(ctx, "rm-forgotten-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the Secret went: %v", err)
	}
	if string(sec.Data["tls.crt"]) != string(files["rm-forgotten.crt"]) {
		t.Error("the Secret's certificate changed")
	}
	// Forgotten means no longer certform's: the Secret keeps its data and
	// loses certform's labels, so a block declaring it again is a conflict
	// instead of an overwrite of the forgotten key.
	if sec.Labels[kube.LabelLineage] != "" || sec.Annotations[kube.AnnotationAddr] != "" {
		t.Errorf("the forgotten Secret still carries certform's marks: labels %v, annotations %v", sec.Labels, sec.Annotations)
	}
	if _, err := cs.CertificatesV1().CertificateSigningRequests().Get(ctx, rec.CSRName, metav1.GetOptions{}); err != nil {
		t.Errorf("the CSR %s went: %v", rec.CSRName, err)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after forgetting, with the removed block still there: want no changes\n%s", r)
	}
	os.RemoveAll(filepath.Join(dir, "rm-forgotten.key"))
	os.RemoveAll(filepath.Join(dir, "rm-forgotten.crt"))
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(secretCert("rm-kept")+secretCert("rm-forgotten")), 0o644)
	r = certform(t, dir, c.AdminKubeconfig, "plan")
	mustContain(t, r, "certificate.rm-forgotten: secret default/rm-forgotten-tls exists and certform did not create it")
	if r.code != exitError {
		t.Errorf("plan declaring a forgotten Secret again exited %d, want %d", r.code, exitError)
	}
}

// TestImportBlockAdoptsHandMadePair adopts a key and certificate made the
// task page's way through an import block: the plan previews and
// verifies it, apply records it, and nothing is reissued. A pair that
// does not match is refused at plan time.
func TestImportBlockAdoptsHandMadePair(t *testing.T) {
	c := sharedCluster(t)
	seed := pki.Request{Hosts: []string{"my-svc.my-namespace.svc.cluster.local", "my-pod.my-namespace.pod.cluster.local", "192.0.2.24", "10.0.34.2"}}
	seed.Subject.CommonName, seed.Subject.Organization = "system:node:my-pod.my-namespace.pod.cluster.local", []string{"system:nodes"}
	usages := []string{"digital signature", "key encipherment", "server auth"}
	keyPEM, certPEM := manualIssue(t, c, "import-block", seed, usages)
	otherKey, _ := pki.GenerateKey(pki.KeySpec{Algorithm: pki.ECDSA, Size: 256})
	otherPEM, _ := pki.EncodePrivateKey(otherKey, pki.PKCS8)

	dir := copyDir(t, "../../examples/quickstart")
	os.MkdirAll(filepath.Join(dir, "hand-made"), 0o700)
	os.WriteFile(filepath.Join(dir, "hand-made/server-key.pem"), keyPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "hand-made/other-key.pem"), otherPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "hand-made/server.crt"), certPEM, 0o644)
	importBlock := func(key string) {
		os.WriteFile(filepath.Join(dir, "import.hcl"), []byte(`
import {
  to        = certificate.my-svc
  key_file  = "hand-made/`+key+`"
  cert_file = "hand-made/server.crt"
}
`), 0o644)
	}

	importBlock("other-key.pem")
	if r := certform(t, dir, c.AdminKubeconfig, "plan"); r.code != exitError {
		t.Errorf("plan of a mismatched pair: want exit 1\n%s", r)
	} else {
		mustContain(t, r, "certificate.my-svc: the key is not the certificate's key")
	}

	importBlock("server-key.pem")
	r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode")
	if r.code != exitChanges {
		t.Fatalf("plan of an import: want exit 2\n%s", r)
	}
	mustContain(t, r, "# certificate.my-svc will be imported", "from files hand-made/server-key.pem and hand-made/server.crt",
		"verified: the key matches the certificate", "Plan: 0 to issue, 0 to renew, 0 to replace, 0 to update, 0 to delete. 1 to import.")
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply of an import\n%s", r)
	} else {
		mustContain(t, r, "certificate.my-svc: imported from files")
	}
	rec := readState(t, dir).Certificates["certificate.my-svc"]
	chain, _ := pki.ParseCertificatesPEM(certPEM)
	if rec == nil || rec.Status != state.StatusIssued || rec.SerialNumber != chain[0].SerialNumber.Text(16) {
		t.Fatalf("state after import: %+v; want issued with serial %s", rec, chain[0].SerialNumber.Text(16))
	}
	if got := mustRead(t, filepath.Join(dir, "out/server.crt")); string(got) != string(certPEM) {
		t.Error("the imported certificate was not written to the block's cert_file")
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after the import, with the import block still there: want no changes\n%s", r)
	}
}

// writeIssuedState writes a state holding issued records at addrs into dir.
func writeIssuedState(t *testing.T, dir string, addrs ...string) {
	t.Helper()
	st := &state.State{Lineage: "11111111-2222-4333-8444-555555555555", Serial: 1, Certificates: map[string]*state.Certificate{}}
	for _, a := range addrs {
		st.Certificates[a] = &state.Certificate{Addr: a, Status: state.StatusIssued, KeySHA256: strings.Repeat("a", 64), SerialNumber: "1f"}
	}
	data, err := statefile.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, local.DefaultPath), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// requiredVarConfig needs a value for var.ns, which the state commands
// must not ask for.
const requiredVarConfig = `
variable "ns" {
  type = string
}

certificate "fleet" {
  for_each    = toset(["a", "b"])
  common_name = "${each.key}.example"
  signer_name = "example.com/serving"
  secret {
    namespace = var.ns
    name      = "fleet-${each.key}"
  }
}
`

// TestStateMvForEachBlock moves every instance of a for_each block with
// one state mv, and warns about destinations the configuration lacks.
func TestStateMvForEachBlock(t *testing.T) {
	dir := writeConfig(t, requiredVarConfig)
	writeIssuedState(t, dir, `certificate.pod["a"]`, `certificate.pod["b"]`, "certificate.other")

	r := certform(t, dir, "", "state", "mv", "--var", "ns=default", "certificate.pod", "certificate.fleet")
	if r.code != exitOK {
		t.Fatalf("state mv of a block\n%s", r)
	}
	mustContain(t, r, `Moved certificate.pod["a"] to certificate.fleet["a"].`, `Moved certificate.pod["b"] to certificate.fleet["b"].`)
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("a move into configured addresses warned\n%s", r)
	}
	if got := readState(t, dir).Addrs(); !slices.Equal(got, []string{"certificate.fleet[\"a\"]", "certificate.fleet[\"b\"]", "certificate.other"}) {
		t.Errorf("state after the move: %q", got)
	}

	r = certform(t, dir, "", "state", "mv", "--var", "ns=default", "certificate.other", "certificate.elsewhere")
	if r.code != exitOK {
		t.Fatalf("state mv\n%s", r)
	}
	mustContain(t, r, "warning: certificate.elsewhere is not in the configuration: the next plan deletes")

	for name, args := range map[string][]string{
		"block into an instance": {"certificate.fleet", `certificate.pod["x"]`},
		"onto a taken address":   {`certificate.fleet["a"]`, "certificate.elsewhere"},
		"unknown block":          {"certificate.nothing", "certificate.pod"},
		"to a malformed address": {"certificate.elsewhere", "certificate.a b"},
	} {
		if r := certform(t, dir, "", append([]string{"state", "mv"}, args...)...); r.code != exitError {
			t.Errorf("%s: want exit 1\n%s", name, r)
		}
	}
	if got := readState(t, dir).Addrs(); len(got) != 3 {
		t.Errorf("refused moves changed state: %q", got)
	}
}

// TestStateCommandsWithoutVariables: the state commands and status need
// only the backend, so a required variable without a value does not stop
// them (it stops plan).
func TestStateCommandsWithoutVariables(t *testing.T) {
	dir := writeConfig(t, requiredVarConfig)
	writeIssuedState(t, dir, `certificate.fleet["a"]`, "certificate.old")
	if r := certform(t, dir, "", "plan", "--refresh=false"); r.code != exitError || !strings.Contains(r.stderr, "No value for required variable") {
		t.Fatalf("plan without the variable: want the required-variable error\n%s", r)
	}
	if r := certform(t, dir, "", "state", "list"); r.code != exitOK || !strings.Contains(r.stdout, "certificate.old") {
		t.Errorf("state list\n%s", r)
	}
	if r := certform(t, dir, "", "state", "show", "certificate.old"); r.code != exitOK {
		t.Errorf("state show\n%s", r)
	}
	if r := certform(t, dir, "", "state", "pull"); r.code != exitOK {
		t.Errorf("state pull\n%s", r)
	}
	r := certform(t, dir, "", "status")
	if r.code != exitOK {
		t.Errorf("status\n%s", r)
	}
	mustContain(t, r, "certificate.old", "renewal dates assume the default window")
	r = certform(t, dir, "", "state", "mv", "certificate.old", `certificate.fleet["b"]`)
	if r.code != exitOK {
		t.Errorf("state mv\n%s", r)
	}
	mustContain(t, r, "the configuration did not load (No value for required variable), so the new addresses were not checked")
	if r := certform(t, dir, "", "state", "rm", `certificate.fleet["b"]`); r.code != exitOK {
		t.Errorf("state rm\n%s", r)
	}
}

// TestImportBlockFromSecret adopts a hand-made kubernetes.io/tls Secret
// that the certificate block also writes: the import reads the pair from
// it, and certform takes the Secret over as adopt = true does.
func TestImportBlockFromSecret(t *testing.T) {
	c := sharedCluster(t)
	seed := pki.Request{Hosts: []string{"my-svc.my-namespace.svc.cluster.local", "my-pod.my-namespace.pod.cluster.local", "192.0.2.24", "10.0.34.2"}}
	seed.Subject.CommonName, seed.Subject.Organization = "system:node:my-pod.my-namespace.pod.cluster.local", []string{"system:nodes"}
	keyPEM, certPEM := manualIssue(t, c, "import-secret", seed, []string{"digital signature", "key encipherment", "server auth"})
	cs, _ := c.AdminClient()
	ctx := context.Background()
	name := "hand-made-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{"tls.key": keyPEM, "tls.crt": certPEM}}
	if _, err := cs.CoreV1().Secrets("default").Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.CoreV1().Secrets("default").Delete(context.Background(), name, metav1.DeleteOptions{}) })

	dir := copyDir(t, "../../examples/quickstart")
	main := strings.Replace(string(mustRead(t, filepath.Join(dir, "main.hcl"))), "  output {", `  secret {
    namespace = "default"
    name      = "`+name+`"
  }
  output {`, 1)
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(main+`
import {
  to = certificate.my-svc
  secret {
    namespace = "default"
    name      = "`+name+`"
  }
}
`), 0o644)
	r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode")
	if r.code != exitChanges {
		t.Fatalf("plan of an import from a Secret: want exit 2\n%s", r)
	}
	mustContain(t, r, "# certificate.my-svc will be imported", "from Secret default/"+name, "is the import's source: certform adopts it", "verified")
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply of an import from a Secret\n%s", r)
	}
	rec := readState(t, dir).Certificates["certificate.my-svc"]
	if rec == nil || rec.Secret == nil || rec.Secret.Name != name {
		t.Fatalf("state after import: %+v", rec)
	}
	got, err := cs.CoreV1().Secrets("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Annotations[kube.AnnotationAdopted] != "true" || got.Labels[kube.LabelLineage] == "" {
		t.Errorf("the Secret was not adopted: labels %v, annotations %v", got.Labels, got.Annotations)
	}
	if string(got.Data["tls.crt"]) != string(certPEM) {
		t.Error("the Secret's certificate changed")
	}
	if string(mustRead(t, filepath.Join(dir, "out/server.crt"))) != string(certPEM) {
		t.Error("the certificate was not written to cert_file")
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after the import: want no changes\n%s", r)
	}
}

// TestMovedOntoAddressInState: a move that state cannot take is a
// diagnostic pointing at the moved block, and nothing is planned.
func TestMovedOntoAddressInState(t *testing.T) {
	dir := writeConfig(t, strings.Replace(requiredVarConfig, `for_each    = toset(["a", "b"])`, `for_each    = toset(["a"])`, 1)+`
moved {
  from = certificate.pod
  to   = certificate.fleet
}
`)
	writeIssuedState(t, dir, `certificate.pod["a"]`, `certificate.fleet["a"]`)
	r := certform(t, dir, "", "plan", "--refresh=false", "--var", "ns=default")
	if r.code != exitError {
		t.Fatalf("plan: want exit 1\n%s", r)
	}
	mustContain(t, r, "Error: Move onto an address in state", "on main.hcl line 18", `certificate.pod["a"] would move to certificate.fleet["a"], which state already holds`)
	if strings.Contains(r.stdout, "will be") {
		t.Errorf("a plan was shown\n%s", r)
	}
}

// TestMovedForEachBlock renames a for_each block with one moved block:
// every instance moves to the same key, and none is reissued.
func TestMovedForEachBlock(t *testing.T) {
	c := sharedCluster(t)
	block := func(name string) string {
		return `
certificate "` + name + `" {
  for_each           = toset(["a", "b"])
  common_name        = "shard-${each.key}"
  subject { organization = ["certform-tests"] }
  signer_name        = "kubernetes.io/kube-apiserver-client"
  usages             = ["digital signature", "client auth"]
  self_approve       = true
  expiration_seconds = 3600
  output {
    key_file  = "${each.key}.key"
    cert_file = "${each.key}.crt"
  }
}
`
	}
	dir := writeConfig(t, block("shard"))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	before := readState(t, dir)
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(block("part")+"\nmoved {\n  from = certificate.shard\n  to   = certificate.part\n}\n"), 0o644)
	r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("apply of the move\n%s", r)
	}
	mustContain(t, r, `# certificate.shard["a"] has moved to certificate.part["a"]`, `# certificate.shard["b"] has moved to certificate.part["b"]`, "2 to move")
	after := readState(t, dir)
	if got := after.Addrs(); !slices.Equal(got, []string{`certificate.part["a"]`, `certificate.part["b"]`}) {
		t.Fatalf("state after the move: %q", got)
	}
	for _, k := range []string{"a", "b"} {
		was, is := before.Certificates[`certificate.shard["`+k+`"]`], after.Certificates[`certificate.part["`+k+`"]`]
		if was.SerialNumber != is.SerialNumber || was.KeySHA256 != is.KeySHA256 {
			t.Errorf("instance %s was reissued: serial %s → %s", k, was.SerialNumber, is.SerialNumber)
		}
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after the move: want no changes\n%s", r)
	}
}

// TestMovedModule renames a module call that has for_each with one moved
// block naming the modules: every certificate in every instance keeps its
// key and serial.
func TestMovedModule(t *testing.T) {
	c := sharedCluster(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "modules", "svc"), 0o755); err != nil {
		t.Fatal(err)
	}
	module := `
variable "name" { type = string }
certificate "tls" {
  common_name  = "mvmod-${var.name}"
  subject { organization = ["certform-tests"] }
  signer_name  = "kubernetes.io/kube-apiserver-client"
  usages       = ["digital signature", "client auth"]
  self_approve = true
  expiration_seconds = 3600
  output {
    key_file  = "out/${var.name}.key"
    cert_file = "out/${var.name}.crt"
  }
}
`
	os.WriteFile(filepath.Join(dir, "modules", "svc", "main.hcl"), []byte(module), 0o644)
	call := func(name string) string {
		return `
module "` + name + `" {
  for_each = toset(["a", "b"])
  source   = "./modules/svc"
  name     = each.key
}
`
	}
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(call("old")), 0o644)
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	before := readState(t, dir).Certificates
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(call("web")+`
moved {
  from = module.old
  to   = module.web
}
`), 0o644)
	r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode")
	if r.code != exitChanges {
		t.Fatalf("plan of a module move: want exit 2\n%s", r)
	}
	mustContain(t, r, `# module.old["a"].certificate.tls has moved to module.web["a"].certificate.tls`,
		`# module.old["b"].certificate.tls has moved to module.web["b"].certificate.tls`, "0 to issue", "2 to move")
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply of a module move\n%s", r)
	}
	after := readState(t, dir).Certificates
	for _, key := range []string{"a", "b"} {
		old, now := before[`module.old["`+key+`"].certificate.tls`], after[`module.web["`+key+`"].certificate.tls`]
		if old == nil || now == nil {
			t.Fatalf("instance %s: before %v, after %v", key, old, now)
		}
		if now.SerialNumber != old.SerialNumber || now.KeySHA256 != old.KeySHA256 {
			t.Errorf("instance %s was reissued by the move", key)
		}
	}
	if len(after) != 2 {
		t.Errorf("state holds %d records after the move, want 2", len(after))
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after the module move: want no changes\n%s", r)
	}
}
