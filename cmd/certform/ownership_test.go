package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
)

// ownershipConfig is a certificate written to Secret hostile/victim-tls and
// a bundle published to ConfigMap hostile/trust, each adopting the existing
// object or not; extra is appended.
func ownershipConfig(adopt bool, extra string) string {
	a := "false"
	if adopt {
		a = "true"
	}
	return `
ca_bundle "trust" {
  source { file = "signer.crt" }
  configmap {
    namespaces = ["hostile"]
    name       = "trust"
    adopt      = ` + a + `
  }
}

certificate "victim" {
  common_name  = "victim"
  signer_name  = "kubernetes.io/kube-apiserver-client"
  usages       = ["digital signature", "client auth"]
  self_approve = true
  output {
    key_file  = "victim.key"
    cert_file = "victim.crt"
  }
  secret {
    namespace = "hostile"
    name      = "victim-tls"
    adopt     = ` + a + `
  }
}
` + extra
}

// TestObjectsNotOursAreNotTakenOver: a Secret and a ConfigMap someone else
// made at configured names are plan conflicts, and apply refuses before any
// CSR is submitted; a Secret of another type is a conflict even when
// adopted; adopted objects are written, and destroy releases them instead
// of deleting them.
func TestObjectsNotOursAreNotTakenOver(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "hostile")
	cs := clientsetFor(t, c.AdminKubeconfig)
	ctx := context.Background()
	theirs := map[string][]byte{"tls.crt": []byte("their certificate"), "tls.key": []byte("their key")}
	for _, obj := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "victim-tls", Namespace: "hostile"}, Type: corev1.SecretTypeTLS, Data: theirs},
		{ObjectMeta: metav1.ObjectMeta{Name: "opaque-tls", Namespace: "hostile"}, Type: corev1.SecretTypeOpaque, Data: theirs},
	} {
		if _, err := cs.CoreV1().Secrets("hostile").Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "trust", Namespace: "hostile"}, Data: map[string]string{"ca.crt": "their CAs"}}
	if _, err := cs.CoreV1().ConfigMaps("hostile").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := writeConfig(t, ownershipConfig(false, ""))
	os.WriteFile(filepath.Join(dir, "signer.crt"), mustRead(t, c.SignerCAFile), 0o644)

	r := certform(t, dir, c.AdminKubeconfig, "plan")
	if r.code != exitError {
		t.Fatalf("plan over objects certform did not create: want exit 1\n%s", r)
	}
	mustContain(t, r, "Conflicts (apply refuses this plan",
		"certificate.victim: secret hostile/victim-tls exists and certform did not create it",
		"ca_bundle.trust: configmap hostile/trust exists and certform did not create it")
	r = certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve")
	if r.code != exitError {
		t.Fatalf("apply over objects certform did not create: want exit 1\n%s", r)
	}
	if strings.Contains(r.stdout, "submitted CSR") {
		t.Errorf("apply submitted a CSR although the plan has conflicts\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "victim.key")); !os.IsNotExist(err) {
		t.Errorf("victim.key after a refused apply: %v", err)
	}
	sec, err := cs.CoreV1().Secrets("hostile").Get(ctx, "victim-tls", metav1.GetOptions{})
	if err != nil || string(sec.Data["tls.key"]) != "their key" || sec.Labels[kube.LabelManagedBy] != "" {
		t.Fatalf("their Secret after a refused apply: %v, labels %v", err, sec.Labels)
	}

	// A Secret of another type cannot become kubernetes.io/tls: caught at
	// plan time even when adopted.
	opaque := strings.NewReplacer(`"victim"`, `"opaque"`, "victim.", "opaque.", "victim-tls", "opaque-tls").
		Replace(ownershipConfig(true, "")[strings.Index(ownershipConfig(true, ""), `certificate "victim"`):])
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(ownershipConfig(true, opaque)), 0o644)
	r = certform(t, dir, c.AdminKubeconfig, "plan")
	if r.code != exitError {
		t.Fatalf("plan with an Opaque Secret where a TLS Secret goes: want exit 1\n%s", r)
	}
	mustContain(t, r, "certificate.opaque: secret hostile/opaque-tls exists with type Opaque")

	// Adopted: written, marked, and on destroy left in place, unlabelled.
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(ownershipConfig(true, "")), 0o644)
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply adopting both objects\n%s", r)
	}
	sec, err = cs.CoreV1().Secrets("hostile").Get(ctx, "victim-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if certs, err := pki.ParseCertificatesPEM(sec.Data["tls.crt"]); err != nil || certs[0].Subject.CommonName != "victim" {
		t.Errorf("the adopted Secret does not hold the issued certificate: %v", err)
	}
	if sec.Annotations[kube.AnnotationAdopted] != "true" {
		t.Errorf("the adopted Secret is not marked adopted: %v", sec.Annotations)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after adopting: want no changes\n%s", r)
	}
	r = certform(t, dir, c.AdminKubeconfig, "destroy", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("destroy\n%s", r)
	}
	mustContain(t, r, "secret hostile/victim-tls left in place", "configmap hostile/trust left in place")
	sec, err = cs.CoreV1().Secrets("hostile").Get(ctx, "victim-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("destroy deleted an adopted Secret: %v", err)
	}
	if sec.Labels[kube.LabelLineage] != "" || sec.Annotations[kube.AnnotationAdopted] != "" {
		t.Errorf("a released Secret keeps certform's marks: %v %v", sec.Labels, sec.Annotations)
	}
	if _, err := cs.CoreV1().ConfigMaps("hostile").Get(ctx, "trust", metav1.GetOptions{}); apierrors.IsNotFound(err) {
		t.Error("destroy deleted an adopted ConfigMap")
	}
}
