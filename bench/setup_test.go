package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/testcluster"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend/local"
)

func TestMain(m *testing.M) {
	if file := os.Getenv(envMeasure); file != "" {
		os.Exit(launch(file, os.Args[1:]))
	}
	code := testcluster.Main(m)
	if outputs.dir != "" {
		os.RemoveAll(outputs.dir)
	}
	os.Exit(code)
}

// counter counts the HTTP requests a client sends.
type counter struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// upToDate writes a configuration of n certificates, a state in which all
// are issued, their files on disk, and (csrs) their CSR objects in the
// cluster, as right after an apply. It returns the directory.
func upToDate(b *testing.B, c *testcluster.Cluster, n int, csrs bool) string {
	b.Helper()
	dir := b.TempDir()
	cfg := fmt.Sprint(`
certificate "svc" {
  for_each    = jsondecode(file("names.json"))
  common_name = "${each.key}.example"
  hosts       = ["${each.key}.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/${each.key}.key"
    cert_file = "out/${each.key}.crt"
  }
}
`)
	must(b, os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644))
	names := make(map[string]string, n) // an object: toset over 10,000 strings costs cty seconds of type unification
	for i := 0; i < n; i++ {
		names[fmt.Sprintf("s%05d", i)] = "svc"
	}
	namesJSON, _ := json.Marshal(names)
	must(b, os.WriteFile(filepath.Join(dir, "names.json"), namesJSON, 0o644))
	must(b, os.MkdirAll(filepath.Join(dir, "out"), 0o755))
	st := state.New()
	notBefore := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("s%05d", i)
		keyData, certData := []byte("key "+name), []byte("cert "+name)
		must(b, os.WriteFile(filepath.Join(dir, "out", name+".key"), keyData, 0o600))
		must(b, os.WriteFile(filepath.Join(dir, "out", name+".crt"), certData, 0o644))
		addr := fmt.Sprintf(`certificate.svc[%q]`, name)
		st.Certificates[addr] = &state.Certificate{
			Addr: addr, Status: state.StatusIssued, KeySHA256: sum([]byte(name)), CSRName: "svc-" + name, CSRUID: "uid-" + name,
			Request: state.Request{CommonName: name + ".example", Hosts: []string{name + ".example"}, KeyAlgorithm: "ecdsa",
				KeySize: 256, KeyEncoding: "pkcs8", SignerName: "example.com/serving", Usages: []string{"digital signature", "key encipherment", "server auth"}},
			SerialNumber: "01", NotBefore: notBefore, NotAfter: notBefore.Add(365 * 24 * time.Hour),
			Files: map[string]state.File{
				"out/" + name + ".key": {Role: state.RoleKey, SHA256: sum(keyData), Mode: 0o600},
				"out/" + name + ".crt": {Role: state.RoleCert, SHA256: sum(certData), Mode: 0o644},
			},
		}
	}
	backend := &local.Backend{Path: filepath.Join(dir, local.DefaultPath)}
	if _, err := backend.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	must(b, backend.Persist(context.Background(), st))
	if csrs {
		createCSRs(b, c, st)
	}
	return dir
}

// createCSRs creates one CSR object per record, as apply leaves them.
func createCSRs(b *testing.B, c *testcluster.Cluster, st *state.State) {
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: c.AdminKubeconfig})
	must(b, err)
	key, _ := pki.GenerateKey(pki.KeySpec{Algorithm: pki.ECDSA, Size: 256})
	req, _ := pki.CreateCSR(key, pki.Request{Hosts: []string{"bench.example"}})
	jobs := make(chan *state.Certificate)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rec := range jobs {
				_, err := cs.CertificatesV1().CertificateSigningRequests().Create(context.Background(), &certv1.CertificateSigningRequest{
					ObjectMeta: metav1.ObjectMeta{Name: rec.CSRName + "-" + st.Lineage[:8],
						Labels: map[string]string{kube.LabelManagedBy: kube.ManagedByValue, kube.LabelLineage: st.Lineage}},
					Spec: certv1.CertificateSigningRequestSpec{Request: req, SignerName: "example.com/serving",
						Usages: []certv1.KeyUsage{certv1.UsageServerAuth}},
				}, metav1.CreateOptions{})
				if err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for _, rec := range st.Certificates {
		jobs <- rec
	}
	close(jobs)
	wg.Wait()
}

func sum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// buildCertform builds the binary for end-to-end measurements.
func buildCertform(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "certform")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/certform").CombinedOutput()
	if err != nil {
		b.Fatalf("building certform: %v\n%s", err, out)
	}
	return bin
}
