package main

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/apply"
)

// deliveryConfig is a serving certificate delivered in every format, to
// files and to a Secret with a template, restarting Deployment web and
// running a deploy hook when it changes; and a client certificate whose
// JKS keystore (password from a Secret) is in its Secret only. renew is
// inserted into the web block (a renewal setting, or "").
func deliveryConfig(renew, extraRestart string) string {
	return `
variable "keystore_password" {
  type      = string
  sensitive = true
}

ca_bundle "cluster" {
  source { file = "signer.crt" }
}

certificate "web" {
  common_name  = "system:node:web"
  hosts        = ["127.0.0.1"]
  subject { organization = ["system:nodes"] }
  signer_name  = "kubernetes.io/kubelet-serving"
  usages       = ["digital signature", "key encipherment", "server auth"]
  self_approve = true
  expiration_seconds = 3600
  ` + renew + `
  output {
    key_file               = "web.key"
    cert_file              = "web.crt"
    ca_file                = "ca.crt"
    ca_bundle              = ca_bundle.cluster
    pkcs12_file            = "web.p12"
    pkcs12_truststore_file = "truststore.p12"
    jks_file               = "web.jks"
    jks_truststore_file    = "truststore.jks"
    combined_pem_file      = "web-combined.pem"
    der_file               = "web.der"
    der_key_file           = "web.key.der"
  }
  secret {
    namespace   = "delivery-ns"
    name        = "web-tls"
    formats     = ["pkcs12", "jks", "combined_pem", "der"]
    labels      = { "app.kubernetes.io/part-of" = "web" }
    annotations = { "reloader.example/match" = "true" }
  }
  keystore {
    password = var.keystore_password
  }
  on_change {
    restart {
      kind = "Deployment"
      name = "web"
    }
    ` + extraRestart + `
    command = ["sh", "-c", "printf '%s\\n' \"$CERTFORM_CHANGED_FILES\" >> hook.log"]
  }
}

certificate "api" {
  common_name  = "api"
  subject { organization = ["certform-tests"] }
  signer_name  = "kubernetes.io/kube-apiserver-client"
  usages       = ["digital signature", "client auth"]
  self_approve = true
  secret {
    namespace = "delivery-ns"
    name      = "api-tls"
    formats   = ["jks"]
  }
  keystore {
    password_secret {
      namespace = "delivery-ns"
      name      = "keystore-pass"
      key       = "password"
    }
  }
}
`
}

// TestDeliveryFormatsAndActions: real clients read what certform wrote
// (keytool and openssl list the key entry and chain of the PKCS#12 and JKS
// files and Secret keys, s_server serves the combined PEM to a verifying
// s_client); plans with keystores and nothing changed stay empty; template
// drift is repaired without reissue or restart; a renewal restarts exactly
// the named Deployment, once, and runs the hook; a failed restart keeps
// the new certificate and is retried by the next run.
func TestDeliveryFormatsAndActions(t *testing.T) {
	c := sharedCluster(t)
	keytool := keytoolBinary(t)
	ensureNamespaces(t, c.AdminKubeconfig, "delivery-ns")
	cs := clientsetFor(t, c.AdminKubeconfig)
	ctx := context.Background()
	for _, name := range []string{"web", "other"} {
		createDeployment(t, cs, "delivery-ns", name)
	}
	_, err := cs.CoreV1().Secrets("delivery-ns").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "keystore-pass"},
		Data: map[string][]byte{"password": []byte("from-a-secret")}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "signer.crt"), mustRead(t, c.SignerCAFile), 0o644)
	write := func(cfg string) { os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644) }
	pass := "--var=keystore_password=first-password"
	run := func(args ...string) result { return certform(t, dir, c.AdminKubeconfig, append(args, pass)...) }
	write(deliveryConfig("", ""))

	r := run("apply", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	if strings.Contains(r.stdout, "restarted") || fileExists(filepath.Join(dir, "hook.log")) {
		t.Errorf("the first issue ran after-change actions\n%s", r)
	}
	for _, leak := range []string{"first-password", "from-a-secret"} {
		if strings.Contains(r.stdout+r.stderr+string(mustRead(t, filepath.Join(dir, "certform.state.json"))), leak) {
			t.Errorf("a keystore password is in the output or state")
		}
	}

	// Files: keystores hold the key and are 0600; truststores and the
	// certificate's DER are 0644.
	for name, want := range map[string]os.FileMode{"web.p12": 0o600, "web.jks": 0o600, "web-combined.pem": 0o600, "web.key.der": 0o600,
		"truststore.p12": 0o644, "truststore.jks": 0o644, "web.der": 0o644} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v, mode %v, want %04o", name, err, st.Mode().Perm(), want)
		}
	}
	checkKeystore(t, keytool, filepath.Join(dir, "web.p12"), "PKCS12", "first-password", 2)
	checkKeystore(t, keytool, filepath.Join(dir, "web.jks"), "JKS", "first-password", 2)
	checkTruststore(t, keytool, filepath.Join(dir, "truststore.p12"), "PKCS12", "first-password", 1)
	checkTruststore(t, keytool, filepath.Join(dir, "truststore.jks"), "JKS", "first-password", 1)
	sServerHandshake(t, filepath.Join(dir, "web-combined.pem"), filepath.Join(dir, "ca.crt"))
	if leaf, err := x509.ParseCertificate(mustRead(t, filepath.Join(dir, "web.der"))); err != nil || leaf.Subject.CommonName != "system:node:web" {
		t.Errorf("der_file: %v", err)
	}
	if _, err := x509.ParsePKCS8PrivateKey(mustRead(t, filepath.Join(dir, "web.key.der"))); err != nil {
		t.Errorf("der_key_file: %v", err)
	}

	// The Secrets: cert-manager's keys, and the template.
	sec, err := cs.CoreV1().Secrets("delivery-ns").Get(ctx, "web-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"tls.crt", "tls.key", "ca.crt", "keystore.p12", "truststore.p12", "keystore.jks", "truststore.jks", "tls-combined.pem", "key.der"} {
		if len(sec.Data[key]) == 0 {
			t.Errorf("Secret web-tls lacks %s", key)
		}
	}
	if sec.Labels["app.kubernetes.io/part-of"] != "web" || sec.Annotations["reloader.example/match"] != "true" {
		t.Errorf("Secret template not applied: labels %v, annotations %v", sec.Labels, sec.Annotations)
	}
	checkKeystore(t, keytool, writeTemp(t, dir, "secret.p12", sec.Data["keystore.p12"]), "PKCS12", "first-password", 2)
	checkKeystore(t, keytool, writeTemp(t, dir, "secret.jks", sec.Data["keystore.jks"]), "JKS", "first-password", 2)
	checkTruststore(t, keytool, writeTemp(t, dir, "secret-trust.jks", sec.Data["truststore.jks"]), "JKS", "first-password", 1)
	api, err := cs.CoreV1().Secrets("delivery-ns").Get(ctx, "api-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkKeystore(t, keytool, writeTemp(t, dir, "api.jks", api.Data["keystore.jks"]), "JKS", "from-a-secret", 1)

	// Keystores are salted, yet plans with nothing changed stay empty.
	for i := range 2 {
		if r := run("plan", "--detailed-exitcode"); r.code != exitOK {
			t.Fatalf("plan %d after apply: want no changes\n%s", i+1, r)
		}
	}

	// Template drift: repaired by an update, no reissue, no restart.
	serial := readState(t, dir).Certificates["certificate.web"].SerialNumber
	webGen := generation(t, cs, "web")
	patchSecretLabel(t, cs, "web-tls", "app.kubernetes.io/part-of", "someone-else")
	r = run("plan", "--detailed-exitcode")
	if r.code != exitChanges {
		t.Fatalf("plan after label drift: want changes\n%s", r)
	}
	mustContain(t, r, "label app.kubernetes.io/part-of was changed outside certform")
	if strings.Contains(r.stdout, "after change") {
		t.Errorf("a label repair restarts workloads\n%s", r)
	}
	if r := run("apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply repair\n%s", r)
	}
	if sec, _ := cs.CoreV1().Secrets("delivery-ns").Get(ctx, "web-tls", metav1.GetOptions{}); sec.Labels["app.kubernetes.io/part-of"] != "web" {
		t.Errorf("label not repaired: %v", sec.Labels)
	}
	if got := readState(t, dir).Certificates["certificate.web"].SerialNumber; got != serial {
		t.Errorf("a label repair reissued: serial %s → %s", serial, got)
	}

	// Renewal: exactly Deployment web restarts, once; the hook runs with
	// the changed files.
	otherGen := generation(t, cs, "other")
	write(deliveryConfig("renew_before_percentage = 99", ""))
	r = run("plan", "--detailed-exitcode")
	if r.code != exitChanges {
		t.Fatalf("plan of a renewal\n%s", r)
	}
	mustContain(t, r, "after change: restart Deployment delivery-ns/web", "after change: run on_change.command")
	r = run("apply", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("apply renewal\n%s", r)
	}
	mustContain(t, r, "restarted Deployment delivery-ns/web", "ran on_change.command")
	if g := generation(t, cs, "web"); g != webGen+1 {
		t.Errorf("Deployment web generation %d → %d, want one restart", webGen, g)
	}
	if restartedAt(t, cs, "web") == "" {
		t.Error("Deployment web's pod template has no restartedAt annotation")
	}
	if g := generation(t, cs, "other"); g != otherGen || restartedAt(t, cs, "other") != "" {
		t.Error("Deployment other, not named, was restarted")
	}
	if hook := string(mustRead(t, filepath.Join(dir, "hook.log"))); !strings.Contains(hook, filepath.Join(dir, "web.crt")) || !strings.Contains(hook, filepath.Join(dir, "web.p12")) {
		t.Errorf("the hook was not told the changed files:\n%s", hook)
	}
	write(deliveryConfig("", ""))
	webGen = generation(t, cs, "web")
	if r := run("plan", "--detailed-exitcode"); r.code != exitOK {
		t.Fatalf("plan after the renewal: want no changes\n%s", r)
	}
	if r := run("apply", "--auto-approve"); r.code != exitOK || generation(t, cs, "web") != webGen {
		t.Fatalf("an apply with nothing changed restarted Deployment web\n%s", r)
	}

	// A changed password rewrites the keystores, without reissue.
	pass = "--var=keystore_password=second-password"
	r = run("plan", "--detailed-exitcode")
	if r.code != exitChanges {
		t.Fatalf("plan after a password change\n%s", r)
	}
	mustContain(t, r, "web.jks does not open with the configured password", "key keystore.p12 does not open with the configured password")
	if r := run("apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply password change\n%s", r)
	}
	checkKeystore(t, keytool, filepath.Join(dir, "web.jks"), "JKS", "second-password", 2)

	// A failed restart: the renewed certificate stays, the next run
	// retries only the failed action.
	write(deliveryConfig("renew_before_percentage = 99", `restart {
      kind = "Deployment"
      name = "late"
    }`))
	before := readState(t, dir).Certificates["certificate.web"].SerialNumber
	r = run("apply", "--auto-approve")
	if r.code != exitError {
		t.Fatalf("apply with a restart of a missing Deployment: want a failure\n%s", r)
	}
	mustContain(t, r, `after-change action "restart Deployment delivery-ns/late" failed`, "the certificate is in place")
	rec := readState(t, dir).Certificates["certificate.web"]
	if rec.SerialNumber == before || !slices.Equal(rec.PendingActions, []string{"restart Deployment delivery-ns/late"}) {
		t.Fatalf("after the failed action: serial %s (was %s), pending %v", rec.SerialNumber, before, rec.PendingActions)
	}
	if leaf, _ := x509.ParseCertificate(mustRead(t, filepath.Join(dir, "web.der"))); leaf.SerialNumber.Text(16) != rec.SerialNumber {
		t.Error("the renewed certificate was not kept")
	}
	write(deliveryConfig("", `restart {
      kind = "Deployment"
      name = "late"
    }`))
	createDeployment(t, cs, "delivery-ns", "late")
	webGen = generation(t, cs, "web")
	r = run("plan", "--detailed-exitcode")
	if r.code != exitChanges {
		t.Fatalf("plan after a failed action: want the retry\n%s", r)
	}
	mustContain(t, r, "restart Deployment delivery-ns/late (retry")
	if r := run("apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply retry\n%s", r)
	}
	if restartedAt(t, cs, "late") == "" || generation(t, cs, "web") != webGen {
		t.Error("the retry did not restart exactly the failed Deployment")
	}
	if r := run("plan", "--detailed-exitcode"); r.code != exitOK {
		t.Fatalf("plan after the retry: want no changes\n%s", r)
	}
}

// TestRestartNeedsPatchAccess: a plan refuses an on_change.restart of a
// workload the user may not patch, naming the rule, before anything runs.
func TestRestartNeedsPatchAccess(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, `
certificate "a" {
  common_name = "a"
  signer_name = "kubernetes.io/kube-apiserver-client"
  usages      = ["client auth"]
  output {
    key_file  = "a.key"
    cert_file = "a.crt"
  }
  on_change {
    restart {
      kind      = "StatefulSet"
      namespace = "elsewhere"
      name      = "db"
    }
  }
}
`)
	r := certform(t, dir, c.RestrictedKubeconfig, "plan")
	if r.code != exitError {
		t.Fatalf("plan: want a refusal\n%s", r)
	}
	mustContain(t, r, "missing 1 permission(s) to restart the workloads on_change.restart names",
		"cannot patch statefulsets.apps db (in namespace elsewhere)", `resources: ["statefulsets"]`)
}

func createDeployment(t *testing.T, cs kubernetes.Interface, ns, name string) {
	t.Helper()
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/" + name}}}},
	}}
	if _, err := cs.AppsV1().Deployments(ns).Create(context.Background(), d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func deployment(t *testing.T, cs kubernetes.Interface, name string) *appsv1.Deployment {
	t.Helper()
	d, err := cs.AppsV1().Deployments("delivery-ns").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func generation(t *testing.T, cs kubernetes.Interface, name string) int64 {
	return deployment(t, cs, name).Generation
}

func restartedAt(t *testing.T, cs kubernetes.Interface, name string) string {
	return deployment(t, cs, name).Spec.Template.Annotations[apply.RestartedAtAnnotation]
}

func patchSecretLabel(t *testing.T, cs kubernetes.Interface, name, key, value string) {
	t.Helper()
	patch := []byte(`{"metadata":{"labels":{"` + key + `":"` + value + `"}}}`)
	if _, err := cs.CoreV1().Secrets("delivery-ns").Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func writeTemp(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, "read-back", name)
	os.MkdirAll(filepath.Dir(path), 0o700)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
