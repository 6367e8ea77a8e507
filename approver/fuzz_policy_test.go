package approver

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	certv1 "k8s.io/api/certificates/v1"
)

// FuzzLoadPolicy feeds the policy loader arbitrary files (policies are
// outside input: whoever runs the approver writes them). Loading must
// never panic, every error must point at a range in the file, and the
// policies of a file that loads must decide a request without panicking.
// Seeds are in testdata/fuzz/FuzzLoadPolicy.
func FuzzLoadPolicy(f *testing.F) {
	corpusKeys()
	f.Fuzz(func(t *testing.T, src []byte) {
		path := filepath.Join(t.TempDir(), "policy.hcl")
		if err := os.WriteFile(path, src, 0o600); err != nil {
			t.Fatal(err)
		}
		policies, _, diags := Load(path)
		for _, d := range diags {
			if d.Severity == hcl.DiagError && d.Subject == nil {
				t.Errorf("error without a range: %s: %s", d.Summary, d.Detail)
			}
		}
		if diags.HasErrors() {
			return
		}
		for _, p := range policies {
			if p.Name == "" && p.DeclRange.Filename == "" {
				t.Errorf("a policy without a name or a place: %+v", p)
			}
		}
		Decide(fuzzCSR(), policies)
	})
}

var (
	fuzzCSROnce sync.Once
	fuzzCSRObj  *certv1.CertificateSigningRequest
)

// fuzzCSR is one request a team-a service account might make, for the
// policies FuzzLoadPolicy loads to decide.
func fuzzCSR() *certv1.CertificateSigningRequest {
	fuzzCSROnce.Do(func() {
		tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:web", Organization: []string{"system:nodes"}},
			DNSNames: []string{"web.team-a.svc"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.7")}}
		der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, ecKey)
		if err != nil {
			panic(err)
		}
		fuzzCSRObj = &certv1.CertificateSigningRequest{Spec: certv1.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: "kubernetes.io/kubelet-serving", Username: "system:serviceaccount:team-a:web",
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:team-a"},
			Usages: []certv1.KeyUsage{"digital signature", "key encipherment", "server auth"},
		}}
	})
	return fuzzCSRObj
}
