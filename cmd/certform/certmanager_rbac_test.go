package main

import (
	"strings"
	"testing"

	certv1 "k8s.io/api/certificates/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// TestCertManagerIssuerReference runs certform as a user with exactly the
// rights docs/signers.md lists for a namespaced cert-manager Issuer with
// self_approve. Without the right to reference the Issuer, cert-manager
// fails the CSR, and certform says why in cert-manager's words; once the
// user may reference it, the next apply issues.
func TestCertManagerIssuerReference(t *testing.T) {
	c := sharedCluster(t)
	cm := sharedCertManager(t, c)
	signer := "issuers.cert-manager.io/" + cmTeamNamespace + "." + cmTeam
	rules := []rbacv1.PolicyRule{
		csrRule("create", "get", "list", "watch"),
		{APIGroups: []string{certv1.GroupName}, Resources: []string{"certificatesigningrequests/approval"}, Verbs: []string{"update"}},
		{APIGroups: []string{certv1.GroupName}, Resources: []string{"signers"}, ResourceNames: []string{signer}, Verbs: []string{"approve"}},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"list", "watch"}},
		{APIGroups: []string{certv1.GroupName}, Resources: []string{"clustertrustbundles"}, Verbs: []string{"list"}},
	}
	kubeconfig := userKubeconfig(t, c, "cm-user", rules...)
	dir := writeConfig(t, `
certificate "cm-ref" {
  common_name  = "cm-ref.example"
  hosts        = ["cm-ref.example"]
  signer_name  = "`+signer+`"
  usages       = ["digital signature", "server auth"]
  self_approve = true
  output {
    key_file  = "cm-ref.key"
    cert_file = "cm-ref.crt"
  }
}
`)
	r := certform(t, dir, kubeconfig, "apply", "--auto-approve", "--wait-timeout=2m")
	if r.code != exitError {
		t.Fatalf("apply by a user who may not reference the Issuer: want exit 1\n%s", r)
	}
	mustContain(t, r, "failed: DeniedReference: Requester may not reference Namespaced Issuer "+cmTeamNamespace+"/"+cmTeam)

	rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{"cert-manager.io"}, Resources: []string{"signers"},
		ResourceNames: []string{cmTeam}, Verbs: []string{"reference"}})
	kubeconfig = userKubeconfig(t, c, "cm-user", rules...)
	r = certform(t, dir, kubeconfig, "apply", "--auto-approve", "--wait-timeout=2m")
	if r.code != exitOK {
		t.Fatalf("apply once the user may reference the Issuer\n%s\n%s", r, tail(cm.log))
	}
	if !strings.Contains(r.stdout, "certificate.cm-ref: issued") {
		t.Errorf("not issued\n%s", r)
	}
	opensslVerify(t, opensslBinary(t), writeCA(t, cm.team), dir+"/cm-ref.crt")
}
