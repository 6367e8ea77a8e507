package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	certv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestDeleteLeavesNoEmptyOutputDirectory: deleting a certificate removes
// the output directories its files leave empty, and keeps a directory
// that still holds someone else's file.
func TestDeleteLeavesNoEmptyOutputDirectory(t *testing.T) {
	c := sharedCluster(t)
	nested := strings.NewReplacer(`"nested.key"`, `"out/tls/nested.key"`, `"nested.crt"`, `"out/tls/nested.crt"`).Replace(clientCert("nested", true))
	alone := strings.NewReplacer(`"alone.key"`, `"gen/alone.key"`, `"alone.crt"`, `"gen/alone.crt"`).Replace(clientCert("alone", true))
	dir := writeConfig(t, nested+alone)
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	readme := filepath.Join(dir, "out", "README")
	os.WriteFile(readme, []byte("someone's notes\n"), 0o644)
	if r := certform(t, dir, c.AdminKubeconfig, "destroy", "--auto-approve"); r.code != exitOK {
		t.Fatalf("destroy\n%s", r)
	}
	for _, gone := range []string{"out/tls", "gen"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s after destroy: %v, want it removed", gone, err)
		}
	}
	for _, kept := range []string{readme, filepath.Join(dir, "main.hcl")} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("%s after destroy: %v", kept, err)
		}
	}
}

// TestReplacedPendingCSRIsWithdrawn: a CSR approved but never signed
// (its signer is not running) whose request then changes is deleted when
// the new request is submitted, not left for a signer to sign later.
func TestReplacedPendingCSRIsWithdrawn(t *testing.T) {
	c := sharedCluster(t)
	cert := strings.Replace(clientCert("unsigned", true), `"kubernetes.io/kube-apiserver-client"`, `"example.com/nobody-signs"`, 1)
	dir := writeConfig(t, cert)
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--no-wait"); r.code != exitOK {
		t.Fatalf("apply --no-wait\n%s", r)
	}
	first := readState(t, dir).Certificates["certificate.unsigned"]
	csrs := clientsetFor(t, c.AdminKubeconfig).CertificatesV1().CertificateSigningRequests()
	got, err := csrs.Get(context.Background(), first.CSRName, metav1.GetOptions{})
	if err != nil || !slices.ContainsFunc(got.Status.Conditions, func(c certv1.CertificateSigningRequestCondition) bool { return c.Type == certv1.CertificateApproved }) {
		t.Fatalf("CSR %s: want it approved and unsigned (err = %v)", first.CSRName, err)
	}

	writeConfigIn(t, dir, strings.Replace(cert, `common_name  = "unsigned"`, `common_name  = "unsigned-v2"`, 1))
	r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--no-wait")
	if r.code != exitOK {
		t.Fatalf("apply of the changed request\n%s", r)
	}
	mustContain(t, r, "request changed while CSR "+first.CSRName+" was pending")
	second := readState(t, dir).Certificates["certificate.unsigned"]
	if second.CSRName == first.CSRName {
		t.Fatalf("no new CSR was submitted\n%s", r)
	}
	if _, err := csrs.Get(context.Background(), first.CSRName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the replaced CSR %s: err = %v, want NotFound", first.CSRName, err)
	}
	if _, err := csrs.Get(context.Background(), second.CSRName, metav1.GetOptions{}); err != nil {
		t.Errorf("the new CSR %s: %v", second.CSRName, err)
	}
	certform(t, dir, c.AdminKubeconfig, "destroy", "--auto-approve")
}
