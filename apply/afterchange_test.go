package apply

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/state"
)

// TestCommandEnv: a deploy hook learns what certbot's would, plus
// certform's own variables, with absolute paths: relative ones are in the
// configuration directory, not the working directory.
func TestCommandEnv(t *testing.T) {
	c := &config.Certificate{Addr: "certificate.web", Request: pki.Request{Hosts: []string{"web.example", "192.0.2.1", "www.example"}},
		Output: config.Output{KeyFile: "out/web.key", CertFile: "out/web.crt"}}
	dir := t.TempDir()
	abs := func(p string) string { return filepath.Join(dir, p) }
	got := commandEnv(c, []string{"out/web.crt", "out/web.p12"}, workdir.Dir(dir))
	want := []string{
		"RENEWED_LINEAGE=" + abs("out"),
		"RENEWED_DOMAINS=web.example www.example",
		"CERTFORM_ADDRESS=certificate.web",
		"CERTFORM_CERT_FILE=" + abs("out/web.crt"),
		"CERTFORM_KEY_FILE=" + abs("out/web.key"),
		"CERTFORM_CHANGED_FILES=" + abs("out/web.crt") + "\n" + abs("out/web.p12"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
}

// TestChangedFiles: the files whose content differs from the record
// before; all of them on a retry, when none does.
func TestChangedFiles(t *testing.T) {
	before := &state.Certificate{Files: map[string]state.File{"a.crt": {SHA256: "1"}, "a.p12": {SHA256: "2"}, "ca.crt": {SHA256: "3"}}}
	cases := map[string]struct {
		after map[string]state.File
		want  []string
	}{
		"renewed":        {after: map[string]state.File{"a.crt": {SHA256: "9"}, "a.p12": {SHA256: "8"}, "ca.crt": {SHA256: "3"}}, want: []string{"a.crt", "a.p12"}},
		"new output":     {after: map[string]state.File{"a.crt": {SHA256: "1"}, "a.p12": {SHA256: "2"}, "ca.crt": {SHA256: "3"}, "a.jks": {SHA256: "4"}}, want: []string{"a.jks"}},
		"retry, no diff": {after: before.Files, want: []string{"a.crt", "a.p12", "ca.crt"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, changedFiles(before, &state.Certificate{Files: tc.after})); diff != "" {
				t.Errorf("changed files (-want +got):\n%s", diff)
			}
		})
	}
}
