package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/testcluster"
)

// fleetConfig issues a client certificate into each of two clusters and
// publishes, to each, a bundle of both signers' CAs read from ConfigMaps
// in the two clusters (sources in another cluster). extra is appended.
const fleetConfig = `
kubernetes "eu" {
  context = "eu"
}

kubernetes "us" {
  context = "us"
}

certificate "web" {
  for_each     = toset(["eu", "us"])
  cluster      = kubernetes[each.key]
  common_name  = "web-${each.key}"
  subject { organization = ["certform-tests"] }
  signer_name  = "kubernetes.io/kube-apiserver-client"
  usages       = ["digital signature", "client auth"]
  self_approve = true
  expiration_seconds = 3600
  output {
    key_file  = "web-${each.key}.key"
    cert_file = "web-${each.key}.crt"
  }
}

ca_bundle "signers" {
  for_each = toset(["eu", "us"])
  cluster  = kubernetes[each.key]
  source {
    cluster = kubernetes.eu
    configmap {
      namespace = "default"
      name      = "signer-ca"
    }
  }
  source {
    cluster = kubernetes.us
    configmap {
      namespace = "default"
      name      = "signer-ca"
    }
  }
  configmap {
    namespaces = ["default"]
    name       = "fleet-signers"
  }
}
`

// TestFleet runs one configuration against two real clusters: each
// certificate chains to its own cluster's signer, a bundle built from
// sources in both is published to both, status names the clusters, a
// context re-pointed at the other cluster is refused by plan and apply,
// and with one cluster stopped the other's certificates still apply.
func TestFleet(t *testing.T) {
	ctx := context.Background()
	clusters := testcluster.StartFleet(t, 2)
	eu, us := clusters[0], clusters[1]
	for _, c := range clusters {
		publishSignerCA(t, ctx, c)
	}
	dir := writeConfig(t, fleetConfig)
	kc := filepath.Join(t.TempDir(), "fleet.kubeconfig")
	point := func(eu, us string) {
		t.Helper()
		if err := testcluster.WriteFleetKubeconfig(kc, []string{"eu", "us"}, map[string]string{"eu": eu, "us": us}); err != nil {
			t.Fatal(err)
		}
	}
	point(eu.AdminKubeconfig, us.AdminKubeconfig)

	r := certform(t, dir, kc, "apply", "--auto-approve")
	if r.code != exitOK {
		t.Fatalf("apply into two clusters\n%s", r)
	}
	t.Run("each certificate chains to its own cluster's signer", func(t *testing.T) {
		for name, c := range map[string]*testcluster.Cluster{"eu": eu, "us": us} {
			other := map[string]*testcluster.Cluster{"eu": us, "us": eu}[name]
			leaf := readLeaf(t, filepath.Join(dir, "web-"+name+".crt"))
			if !chainsTo(leaf, c.SignerCA) {
				t.Errorf("web-%s.crt does not chain to the %s signer", name, name)
			}
			if chainsTo(leaf, other.SignerCA) {
				t.Errorf("web-%s.crt chains to the other cluster's signer", name)
			}
		}
	})
	t.Run("a bundle from sources in both clusters is published to both", func(t *testing.T) {
		for name, c := range map[string]*testcluster.Cluster{"eu": eu, "us": us} {
			cs, err := c.AdminClient()
			if err != nil {
				t.Fatal(err)
			}
			cm, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "fleet-signers", metav1.GetOptions{})
			if err != nil {
				t.Fatalf("cluster %s: %v", name, err)
			}
			cas, err := pki.ParseCertificatesPEM([]byte(cm.Data["ca.crt"]))
			if err != nil || len(cas) != 2 || !containsCert(cas, eu.SignerCA) || !containsCert(cas, us.SignerCA) {
				t.Errorf("cluster %s: fleet-signers holds %d certificates (%v), want both signers' CAs", name, len(cas), err)
			}
		}
	})
	t.Run("state records each cluster's identity; status names the clusters", func(t *testing.T) {
		st := readState(t, dir)
		for name, c := range map[string]*testcluster.Cluster{"eu": eu, "us": us} {
			uid, err := c.UID(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rec := st.Certificates[`certificate.web["`+name+`"]`]
			if rec == nil || rec.Cluster.Name != name || rec.Cluster.UID != uid || rec.Cluster.Server != c.APIServerURL() {
				t.Errorf("certificate.web[%q] records cluster %+v, want %s %s %s", name, rec, name, uid, c.APIServerURL())
			}
			if b := st.Bundles[`ca_bundle.signers["`+name+`"]`]; b == nil || b.Cluster.UID != uid {
				t.Errorf("ca_bundle.signers[%q] records %+v, want UID %s", name, b, uid)
			}
		}
		r := certform(t, dir, kc, "status", "--json")
		var out struct{ Certificates []StatusEntry }
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%v\n%s", err, r)
		}
		for _, e := range out.Certificates {
			if want := strings.TrimSuffix(strings.TrimPrefix(e.Address, `certificate.web["`), `"]`); e.Cluster != want {
				t.Errorf("status: %s in cluster %q, want %q", e.Address, e.Cluster, want)
			}
		}
		if r := certform(t, dir, kc, "status"); !strings.Contains(r.stdout, "CLUSTER") {
			t.Errorf("status table has no CLUSTER column\n%s", r)
		}
		if r := certform(t, dir, kc, "plan", "--detailed-exitcode"); r.code != exitOK {
			t.Errorf("plan after apply: want no changes\n%s", r)
		}
	})
	t.Run("a context re-pointed at the other cluster is refused", func(t *testing.T) {
		point(us.AdminKubeconfig, eu.AdminKubeconfig)
		defer point(eu.AdminKubeconfig, us.AdminKubeconfig)
		before := readState(t, dir)
		for _, args := range [][]string{{"plan"}, {"apply", "--auto-approve"}} {
			r := certform(t, dir, kc, args...)
			if r.code != exitError {
				t.Fatalf("%s against swapped contexts: want exit 1\n%s", args[0], r)
			}
			mustContain(t, r, `cluster "eu" is not the cluster its`, eu.APIServerURL(), us.APIServerURL(), "--rebind-cluster eu", `certificate.web["eu"]`)
		}
		// Taking over "eu" on purpose is refused too: the cluster it now
		// reaches is the one state knows as "us".
		for _, args := range [][]string{{"plan", "--rebind-cluster", "eu"}, {"apply", "--auto-approve", "--rebind-cluster", "eu"}} {
			r := certform(t, dir, kc, args...)
			if r.code != exitError {
				t.Fatalf("%s --rebind-cluster eu against swapped contexts: want exit 1\n%s", args[0], r)
			}
			mustContain(t, r, `--rebind-cluster eu: kubernetes "eu" reaches `+us.APIServerURL(), `which state records as cluster "us"`, `check kubernetes "eu"'s kubeconfig and context`)
		}
		if after := readState(t, dir); after.Serial != before.Serial {
			t.Errorf("state moved from serial %d to %d although every cluster was refused", before.Serial, after.Serial)
		}
	})
	t.Run("a cluster whose user lacks permissions is left out, the other applies", func(t *testing.T) {
		// The restricted user may create and watch CSRs, not approve them
		// (self_approve) nor read kube-system (the identity).
		dir := writeConfig(t, `
kubernetes "eu" {
  context = "eu"
}

kubernetes "us" {
  context = "us"
}
`+strings.ReplaceAll(strings.ReplaceAll(clientCert("api", true), `certificate "api" {`,
			"certificate \"api\" {\n  for_each = toset([\"eu\", \"us\"])\n  cluster  = kubernetes[each.key]"), `"api.`, `"api-${each.key}.`))
		point(eu.AdminKubeconfig, us.RestrictedKubeconfig)
		defer point(eu.AdminKubeconfig, us.AdminKubeconfig)
		r := certform(t, dir, kc, "apply", "--auto-approve")
		if r.code != exitError {
			t.Fatalf("apply with a cluster lacking permissions: want exit 1\n%s", r)
		}
		mustContain(t, r, `cluster "us" (`+us.APIServerURL()+`), left out: certificate.api["us"]`, "certificatesigningrequests/approval",
			`certificate.api["eu"]: issued`)
		st := readState(t, dir)
		if st.Certificates[`certificate.api["us"]`] != nil {
			t.Errorf("certificate.api[\"us\"] is in state although its cluster was left out")
		}
	})
	t.Run("one cluster stopped, the other's certificates still apply", func(t *testing.T) {
		us.Stop()
		r := certform(t, dir, kc, "apply", "--auto-approve", "--replace", `certificate.web["eu"]`, "--replace", `certificate.web["us"]`)
		if r.code != exitError {
			t.Fatalf("apply with a cluster down: want exit 1\n%s", r)
		}
		mustContain(t, r, `cluster "us" (`+us.APIServerURL()+`), left out: ca_bundle.signers["us"], certificate.web["us"]`, "connection refused", `certificate.web["eu"]: issued`,
			`ca_bundle.signers["eu"]: left out: its source in cluster "us" cannot be read`)
		st := readState(t, dir)
		if got := st.Certificates[`certificate.web["eu"]`]; got == nil || got.SerialNumber == "" {
			t.Fatalf("certificate.web[\"eu\"] not reissued: %+v", got)
		}
		if leaf := readLeaf(t, filepath.Join(dir, "web-eu.crt")); leaf.SerialNumber.Text(16) != st.Certificates[`certificate.web["eu"]`].SerialNumber {
			t.Errorf("web-eu.crt holds serial %x, state %s", leaf.SerialNumber, st.Certificates[`certificate.web["eu"]`].SerialNumber)
		}
	})
}

// publishSignerCA puts the cluster's signer CA in ConfigMap
// default/signer-ca, as a platform team would.
func publishSignerCA(t *testing.T, ctx context.Context, c *testcluster.Cluster) {
	t.Helper()
	data, err := os.ReadFile(c.SignerCAFile)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "signer-ca"}, Data: map[string]string{"ca.crt": string(data)}}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func readLeaf(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := pki.ParseCertificatesPEM(data)
	if err != nil || len(certs) == 0 {
		t.Fatalf("%s: %v", path, err)
	}
	return certs[0]
}

func chainsTo(leaf, ca *x509.Certificate) bool {
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	_, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err == nil
}

func containsCert(certs []*x509.Certificate, want *x509.Certificate) bool {
	for _, c := range certs {
		if c.Equal(want) {
			return true
		}
	}
	return false
}
