package main

import (
	"strings"
	"testing"
)

// annotationPolicy is teamPolicy with an allow-list of CSR annotation keys
// that does not list certform's own certform.dev/address.
var annotationPolicy = strings.Replace(teamPolicy, `max_expiration = "720h"`,
	`max_expiration = "720h"
    annotations    = ["example.com/*"]`, 1)

// TestPredictionSeesCertformAnnotations: plan --policy must judge the CSR
// apply submits, annotations included. Every CSR certform submits carries
// certform.dev/address, so a policy whose annotation allow-list lacks it
// denies; the prediction must say so instead of approving.
func TestPredictionSeesCertformAnnotations(t *testing.T) {
	c := sharedCluster(t)
	sa := serviceAccountKubeconfig(t, c, "team-a", "builder")
	policies := writeConfig(t, annotationPolicy)
	dir := writeConfig(t, servingCert("annotated", "annotated.team-a.svc"))

	r := certform(t, dir, sa, "plan", "--policy", policies)
	predicted := strings.Contains(r.stdout, "# the approver would DENY this CSR")
	if r := certform(t, dir, sa, "apply", "--auto-approve", "--no-wait"); r.code != exitOK {
		t.Fatalf("apply --no-wait\n%s", r)
	}
	name := readState(t, dir).Certificates["certificate.annotated"].CSRName
	a := certform(t, ".", c.AdminKubeconfig, "approve", "--policy", policies, "--dry-run")
	denied := strings.Contains(a.stdout, "(dry run) "+name+" deny")
	if predicted != denied {
		t.Errorf("plan --policy predicted deny=%v, the approver decides deny=%v\nplan:\n%s\napprove:\n%s", predicted, denied, r, a)
	}
}
