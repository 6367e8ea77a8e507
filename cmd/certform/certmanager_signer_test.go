package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/pki"
)

// cmBundles are CA bundles read from the issuers' Secrets, as a user of
// cert-manager would name them: ca.crt holds each issuer's root.
const cmBundles = `
ca_bundle "cm_root" {
  source {
    secret {
      namespace = "` + cmNamespace + `"
      name      = "` + cmRoot + `-ca"
      key       = "ca.crt"
    }
  }
}

ca_bundle "cm_team" {
  source {
    secret {
      namespace = "` + cmTeamNamespace + `"
      name      = "` + cmTeam + `"
    }
  }
}
`

// cmCert is a certificate block issued by signer, its outputs in files
// NAME.key, NAME.crt, NAME-ca.crt (the bundle) and Secret cm-team/NAME-tls.
func cmCert(name, signer, key, usages, bundle string) string {
	return `
certificate "` + name + `" {
  common_name        = "` + name + `.example"
  hosts              = ["` + name + `.example"]
  signer_name        = "` + signer + `"
  usages             = [` + usages + `]
  expiration_seconds = 3600
  self_approve       = true
  key {
    ` + key + `
  }
  output {
    key_file  = "` + name + `.key"
    cert_file = "` + name + `.crt"
    ca_file   = "` + name + `-ca.crt"
    ca_bundle = ca_bundle.` + bundle + `
  }
  secret {
    namespace = "` + cmTeamNamespace + `"
    name      = "` + name + `-tls"
  }
}
`
}

// TestCertManagerSigner issues certificates through cert-manager's CA
// signer for Kubernetes CSRs, run from its own Go packages: through a root
// ClusterIssuer, an intermediate ClusterIssuer and a namespaced Issuer,
// with ECDSA, RSA and Ed25519 keys, to files and a Secret, each with a
// ca_bundle read from the issuer's Secret. openssl verifies every
// certificate (files and Secret) against the issuer's root, with the
// intermediate cert-manager returned as the untrusted chain.
func TestCertManagerSigner(t *testing.T) {
	c := sharedCluster(t)
	cm := sharedCertManager(t, c)
	openssl := opensslBinary(t)
	tests := map[string]struct {
		signer, key, usages, bundle string
		intermediate                bool // the chain cert-manager returns holds the intermediate
	}{
		"cm-root-ecdsa": {signer: "clusterissuers.cert-manager.io/" + cmRoot, key: `algorithm = "ecdsa"`,
			usages: `"digital signature", "server auth"`, bundle: "cm_root"},
		"cm-intermediate-rsa": {signer: "clusterissuers.cert-manager.io/" + cmIntermediate, key: `algorithm = "rsa"`,
			usages: `"digital signature", "key encipherment", "server auth"`, bundle: "cm_root", intermediate: true},
		"cm-team-ed25519": {signer: "issuers.cert-manager.io/" + cmTeamNamespace + "." + cmTeam, key: `algorithm = "ed25519"`,
			usages: `"digital signature", "client auth"`, bundle: "cm_team"},
	}
	config := cmBundles
	for name, tc := range tests {
		config += cmCert(name, tc.signer, tc.key, tc.usages, tc.bundle)
	}
	dir := writeConfig(t, config)
	r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=2m")
	if r.code != exitOK {
		t.Fatalf("apply through cert-manager\n%s\n%s", r, tail(cm.log))
	}
	cs := clientsetFor(t, c.AdminKubeconfig)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			chain, err := pki.ParseCertificatesPEM(mustRead(t, filepath.Join(dir, name+".crt")))
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if tc.intermediate {
				want = 2
			}
			if len(chain) != want {
				t.Fatalf("cert file holds %d certificates, want the leaf and %d of cert-manager's chain", len(chain), want-1)
			}
			if tc.intermediate && !chain[1].Equal(cm.intermediate) {
				t.Errorf("the chain after the leaf is %q, want the intermediate", chain[1].Subject)
			}
			if life := chain[0].NotAfter.Sub(chain[0].NotBefore); life != time.Hour {
				t.Errorf("lifetime %s, want expiration_seconds = 3600", life)
			}
			checkKeyType(t, tc.key, chain[0].PublicKey)
			opensslVerify(t, openssl, filepath.Join(dir, name+"-ca.crt"), filepath.Join(dir, name+".crt"))

			sec, err := cs.CoreV1().Secrets(cmTeamNamespace).Get(context.Background(), name+"-tls", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tls.X509KeyPair(sec.Data["tls.crt"], sec.Data["tls.key"]); err != nil {
				t.Errorf("Secret %s-tls: tls.key does not match tls.crt: %v", name, err)
			}
			sdir := t.TempDir()
			for _, k := range []string{"tls.crt", "ca.crt"} {
				if err := os.WriteFile(filepath.Join(sdir, k), sec.Data[k], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			opensslVerify(t, openssl, filepath.Join(sdir, "ca.crt"), filepath.Join(sdir, "tls.crt"))
		})
	}
}

// checkKeyType checks that the certificate's key is of the configured
// algorithm.
func checkKeyType(t *testing.T, key string, pub any) {
	t.Helper()
	var ok bool
	switch {
	case strings.Contains(key, "ecdsa"):
		_, ok = pub.(*ecdsa.PublicKey)
	case strings.Contains(key, "rsa"):
		_, ok = pub.(*rsa.PublicKey)
	case strings.Contains(key, "ed25519"):
		_, ok = pub.(ed25519.PublicKey)
	}
	if !ok {
		t.Errorf("the certificate's key is a %T, want %s", pub, key)
	}
}

// opensslBinary returns the openssl command, which the tests use as an
// independent verifier of what certform wrote.
func opensslBinary(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("openssl is needed to verify issued certificates independently: %v\nhint: install openssl (apt-get install openssl)", err)
	}
	return p
}

// opensslVerify runs openssl verify on the first certificate of certFile,
// trusting only caFile, with the rest of certFile as untrusted
// intermediates.
func opensslVerify(t *testing.T, openssl, caFile, certFile string) {
	t.Helper()
	chain, err := pki.ParseCertificatesPEM(mustRead(t, certFile))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"verify", "-CAfile", caFile}
	if len(chain) > 1 {
		untrusted := filepath.Join(t.TempDir(), "untrusted.pem")
		if err := os.WriteFile(untrusted, pki.EncodeCertificates(chain[1:]...), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-untrusted", untrusted)
	}
	leaf := filepath.Join(t.TempDir(), "leaf.pem")
	if err := os.WriteFile(leaf, pki.EncodeCertificates(chain[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(openssl, append(args, leaf)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), ": OK") {
		t.Errorf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestCertManagerIssuerNotFound: a signer name for a ClusterIssuer that
// does not exist. cert-manager says so only in a Warning event on the CSR;
// apply shows it while it waits, not only when the wait is over, and the
// timeout quotes it.
func TestCertManagerIssuerNotFound(t *testing.T) {
	c := sharedCluster(t)
	sharedCertManager(t, c)
	const signer = "clusterissuers.cert-manager.io/no-such-issuer"
	dir := writeConfig(t, `
certificate "lost" {
  common_name  = "lost.example"
  hosts        = ["lost.example"]
  signer_name  = "`+signer+`"
  usages       = ["digital signature", "server auth"]
  self_approve = true
  output {
    key_file  = "lost.key"
    cert_file = "lost.crt"
  }
}
`)
	p := startLines(t, certformCmd(dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=15s"))
	const warning = "IssuerNotFound: Referenced ClusterIssuer /no-such-issuer not found"
	p.waitFor(t, "approved, waiting for the signer "+signer+"; its Warning events: "+warning)
	out, err := p.wait()
	if err == nil {
		t.Fatalf("apply for a missing issuer: want a failure\n%s", out)
	}
	timeout := strings.Index(out, "failed: timed out after 15s")
	if timeout < 0 || !strings.Contains(out[timeout:], warning) {
		t.Errorf("the timeout does not quote the signer's Warning event\n%s", out)
	}
	if seen := strings.Index(out, warning); seen > timeout {
		t.Errorf("the Warning event was first shown with the timeout, not while waiting\n%s", out)
	}
}

// TestCertManagerSignerBehind: cert-manager is paused after certform
// approved its CSR, as a signer held back by its own rate limit is. apply
// says it waits for the signer, never for an approval that was given, and
// collects the certificate once the signer catches up.
func TestCertManagerSignerBehind(t *testing.T) {
	c := sharedCluster(t)
	cm := sharedCertManager(t, c)
	dir := writeConfig(t, cmBundles+cmCert("cm-behind", "clusterissuers.cert-manager.io/"+cmRoot,
		`algorithm = "ecdsa"`, `"digital signature", "server auth"`, "cm_root"))
	resume := cm.pause(t)
	p := startLines(t, certformCmd(dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=2m"))
	p.waitFor(t, "approved, waiting for the signer clusterissuers.cert-manager.io/"+cmRoot)
	resume()
	out, err := p.wait()
	if err != nil {
		t.Fatalf("apply once the signer caught up: %v\n%s\n%s", err, out, tail(cm.log))
	}
	if !strings.Contains(out, "certificate.cm-behind: issued") {
		t.Errorf("not issued\n%s", out)
	}
	if strings.Contains(out, "waiting for approval") || strings.Contains(out, "kubectl certificate approve") {
		t.Errorf("apply asked for an approval it gave itself\n%s", out)
	}
}
