package refresh

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/testcluster"
	"github.com/certform/certform/refresh/observed"
	"github.com/certform/certform/state"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// env is one case's world: a configuration directory, a namespace of its
// own in the shared real cluster, a state with a fresh lineage, and the
// names the golden files give to keys, certificates and contents that are
// random in each run.
type env struct {
	t     *testing.T
	dir   string
	ns    string
	cs    kubernetes.Interface
	keys  keystore.Store
	st    *state.State
	names map[string]string // hash or fingerprint → a name for goldens
}

// newEnv makes a case's env; the namespace, and the CSRs of its lineage,
// are deleted when the case ends.
func newEnv(t *testing.T) *env {
	t.Helper()
	c := testcluster.Shared(t)
	cs, err := c.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := &env{t: t, dir: dir, cs: cs, keys: keystore.Store{Dir: filepath.Join(dir, keystore.DefaultDir)}, st: state.New(), names: map[string]string{}}
	ns, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "refresh-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.ns = ns.Name
	t.Cleanup(func() {
		ctx := context.Background()
		cs.CoreV1().Namespaces().Delete(ctx, e.ns, metav1.DeleteOptions{})
		cs.CertificatesV1().CertificateSigningRequests().DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: kube.LabelLineage + "=" + e.st.Lineage})
	})
	return e
}

// expand puts the case's directory and namespace in for $DIR and $NS.
func (e *env) expand(s string) string {
	return strings.NewReplacer("$DIR", e.dir, "$NS", e.ns).Replace(s)
}

// config loads an HCL configuration ($DIR and $NS expanded).
func (e *env) config(src string) *config.Config {
	e.t.Helper()
	cfg, diags := config.LoadSource([]byte(e.expand(src)), "main.hcl", e.dir, config.Inputs{})
	if diags.HasErrors() {
		e.t.Fatal(diags)
	}
	return cfg
}

// refresh runs the stage under test.
func (e *env) refresh(cfg *config.Config) (observed.World, error) {
	return Refresh(context.Background(), cfg, e.st, e.cs, e.keys)
}

// key makes an ECDSA key the goldens call "key:NAME".
func (e *env) key(name string) crypto.Signer {
	e.t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	fp, err := pki.Fingerprint(k.Public())
	if err != nil {
		e.t.Fatal(err)
	}
	e.names[fp] = "key:" + name
	return k
}

// fingerprint is k's public key fingerprint, as state records keys.
func (e *env) fingerprint(k crypto.Signer) string {
	e.t.Helper()
	fp, err := pki.Fingerprint(k.Public())
	if err != nil {
		e.t.Fatal(err)
	}
	return fp
}

// keyPEM is key's PKCS#8 PEM.
func (e *env) keyPEM(k crypto.Signer) []byte {
	e.t.Helper()
	data, err := pki.EncodePrivateKey(k, "pkcs8")
	if err != nil {
		e.t.Fatal(err)
	}
	return data
}

// cert issues a certificate for key (self-signed when parent is nil),
// valid until notAfter; the goldens call it, its serial and its
// fingerprint "cert:NAME", "serial:NAME" and "ca:NAME" (for CAs).
func (e *env) cert(name string, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer, notAfter time.Time) *x509.Certificate {
	e.t.Helper()
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: notAfter.Add(-48 * time.Hour), NotAfter: notAfter}
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		e.t.Fatal(err)
	}
	e.names[serial.Text(16)] = "serial:" + name
	e.names[config.Fingerprint(c)] = "ca:" + name
	e.names[digest.SHA256(pki.EncodeCertificates(c))] = "pem:" + name
	return c
}

// write writes a file under the directory (mode as given, whatever the
// umask) and names its content "file:LABEL" in the goldens.
func (e *env) write(rel, label string, data []byte, mode os.FileMode) string {
	e.t.Helper()
	path := filepath.Join(e.dir, rel)
	if err := os.WriteFile(path, data, mode); err != nil {
		e.t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		e.t.Fatal(err)
	}
	e.names[digest.SHA256(data)] = "file:" + label
	return path
}

// record adds a certificate record to state, with the files given (path →
// role), each recorded with its current content's digest.
func (e *env) record(addr string, rec state.Certificate, files map[string]string) *state.Certificate {
	e.t.Helper()
	rec.Addr = addr
	if rec.Files == nil {
		rec.Files = map[string]state.File{}
	}
	for path, role := range files {
		f, err := digest.OfFile(path)
		if err != nil {
			e.t.Fatal(err)
		}
		rec.Files[path] = state.File{Role: role, SHA256: f.SHA256, Mode: f.Mode}
	}
	e.st.Certificates[addr] = &rec
	return &rec
}

// ours labels an object as this state's.
func (e *env) ours() map[string]string {
	return map[string]string{kube.LabelManagedBy: kube.ManagedByValue, kube.LabelLineage: e.st.Lineage}
}

// golden compares got with testdata/TEST/CASE.golden, rewriting it with
// -update.
func golden(t *testing.T, got string) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(t.Name())+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v\nhint: go test ./refresh -run '%s' -update writes it", err, t.Name())
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("observed world differs from %s (-want +got):\n%s", path, diff)
	}
}

// pemOf is certificates as PEM.
func pemOf(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}
