package statefile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/certform/certform/state"
)

// TestCompat reads state files written by an earlier certform (the
// encoder as it was before the wire types were split from the model,
// certform_version 0.9.0): each still reads, holds what was written, and
// encodes to the same bytes, since neither version 1 nor 2 has changed.
func TestCompat(t *testing.T) {
	defer func(v string) { Version = v }(Version)
	Version = "0.9.0"
	files, _ := filepath.Glob("testdata/compat/*.json")
	if len(files) < 2 {
		t.Fatalf("compat fixtures: %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			web := s.Certificates["certificate.web"]
			if web == nil || web.Status != state.StatusIssued || web.Request.ExpirationSeconds != 86400 || len(web.Request.Hosts) != 2 ||
				web.Files["out/chain.pem"].Mode != 0o640 || web.Secret == nil || web.Secret.Name != "web-tls" || web.FilesOrigin.Dir != "/srv/certs" {
				t.Errorf("certificate.web read as %+v", web)
			}
			if b := s.Bundles["ca_bundle.internal"]; b == nil || len(b.Targets["configmap:apps/trust"].Fingerprints) != 2 {
				t.Errorf("ca_bundle.internal read as %+v", b)
			}
			if len(s.Certificates) != 4 || s.Serial != 12 {
				t.Errorf("read %d certificates at serial %d, want 4 at 12", len(s.Certificates), s.Serial)
			}
			out, err := Encode(s)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != string(data) {
				t.Errorf("re-encoding differs:\n%s\nwant:\n%s", out, data)
			}
		})
	}
}
