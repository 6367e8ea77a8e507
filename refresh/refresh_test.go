package refresh

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certform/certform/state"
)

// webConfig is one certificate with a key and a certificate file.
const webConfig = `
certificate "web" {
  common_name = "web"
  signer_name = "example.com/refresh"
  usages      = ["digital signature", "server auth"]
  output {
    key_file  = "$DIR/web.key"
    cert_file = "$DIR/web.crt"
  }
}
`

// issued writes web's key and certificate files and records them as
// certform wrote them; the certificate is valid until notAfter.
func (e *env) issued(notAfter time.Time) (keyPath, certPath string) {
	k := e.key("web")
	ca := e.key("ca")
	caCert := e.cert("ca", ca, nil, nil, time.Now().Add(24*time.Hour))
	leaf := e.cert("web", k, caCert, ca, notAfter)
	keyPath = e.write("web.key", "web.key", e.keyPEM(k), 0o600)
	certPath = e.write("web.crt", "web.crt", pemOf(leaf), 0o644)
	e.record("certificate.web", state.Certificate{Status: state.StatusIssued, CSRName: "web-1", SerialNumber: leaf.SerialNumber.Text(16), NotAfter: notAfter},
		map[string]string{keyPath: state.RoleKey, certPath: state.RoleCert})
	return keyPath, certPath
}

// TestRefreshFiles: every output path of the configuration and of state is
// observed, as found: missing, changed since certform wrote it (content or
// mode), or as recorded. Whether that is drift is the planner's call; an
// expired certificate is a file like any other here.
func TestRefreshFiles(t *testing.T) {
	cases := map[string]struct {
		setup  func(e *env)
		config string
	}{
		"nothing written yet": {setup: func(e *env) {}, config: webConfig},
		"as recorded":         {setup: func(e *env) { e.issued(time.Now().Add(time.Hour)) }, config: webConfig},
		"file missing": {setup: func(e *env) {
			_, cert := e.issued(time.Now().Add(time.Hour))
			os.Remove(cert)
		}, config: webConfig},
		"file changed": {setup: func(e *env) {
			_, cert := e.issued(time.Now().Add(time.Hour))
			e.write(filepath.Base(cert), "edited", []byte("edited by hand\n"), 0o644)
		}, config: webConfig},
		"key file mode changed": {setup: func(e *env) {
			key, _ := e.issued(time.Now().Add(time.Hour))
			os.Chmod(key, 0o644)
		}, config: webConfig},
		"certificate expired":                         {setup: func(e *env) { e.issued(time.Now().Add(-time.Hour)) }, config: webConfig},
		"files of a certificate no longer configured": {setup: func(e *env) { e.issued(time.Now().Add(time.Hour)) }, config: ``},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			tc.setup(e)
			w, err := e.refresh(e.config(tc.config))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, e.render(w))
		})
	}
}

// TestRefreshPendingKeys: the keys kept for CSRs in flight are those in the
// keystore, and the key an interrupted collect already moved to the key
// file, only when that file holds the very key the record was made with.
func TestRefreshPendingKeys(t *testing.T) {
	// pending records a pending certificate whose key is where says:
	// in the keystore, in the key file, or lost (the key file holding
	// another key, or none).
	pending := func(e *env, where string) {
		k := e.key("web")
		switch where {
		case "keystore":
			if _, err := e.keys.Put(k); err != nil {
				e.t.Fatal(err)
			}
		case "file":
			e.write("web.key", "web.key", e.keyPEM(k), 0o600)
		case "other":
			e.write("web.key", "other.key", e.keyPEM(e.key("other")), 0o600)
		case "garbage":
			e.write("web.key", "garbage", []byte("not a key\n"), 0o600)
		}
		e.record("certificate.web", state.Certificate{Status: state.StatusPending, CSRName: "web-1", KeySHA256: e.fingerprint(k)}, nil)
	}
	cases := map[string]func(e *env){
		"kept in the keystore":                         func(e *env) { pending(e, "keystore") },
		"moved to the key file":                        func(e *env) { pending(e, "file") },
		"key file holds another key":                   func(e *env) { pending(e, "other") },
		"key file holds no key":                        func(e *env) { pending(e, "garbage") },
		"a key of no record is still a kept key":       func(e *env) { e.keys.Put(e.key("orphan")) },
		"the key file of an issued record is not kept": func(e *env) { e.issued(time.Now().Add(time.Hour)) },
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			setup(e)
			w, err := e.refresh(e.config(webConfig))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, e.render(w))
		})
	}
}
