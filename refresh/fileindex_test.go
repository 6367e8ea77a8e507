package refresh

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/internal/fileindex"
	"github.com/certform/certform/refresh/observed"
)

// TestRefreshThroughIndex: files observed through a file index are what
// hashing them finds; a later run with the saved index answers the
// unchanged files from it without reading them, and still sees an edit.
func TestRefreshThroughIndex(t *testing.T) {
	e := newEnv(t)
	key, cert := e.issued(time.Now().Add(time.Hour))
	// Hashed more than fileindex.Margin after they were written, as a plan
	// some seconds after an apply: the save keeps their entries.
	at, err := fileindex.SavableAfter(key, cert)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(at))
	cfg := e.config(webConfig)
	want, err := e.refresh(cfg)
	if err != nil {
		t.Fatal(err)
	}
	through := func(x *fileindex.Index) map[string]observed.FileObservation {
		t.Helper()
		w, err := RefreshIn(context.Background(), cfg, e.st, e.cs, nil, e.keys, x)
		if err != nil {
			t.Fatal(err)
		}
		return w.Files
	}

	first := fileindex.New()
	if d := cmp.Diff(want.Files, through(first)); d != "" {
		t.Errorf("files through a new index (-hashed +got):\n%s", d)
	}
	if s := first.Stats(); s != (fileindex.Stats{Hashed: 2}) {
		t.Errorf("first run: %+v, want both files hashed", s)
	}
	index := filepath.Join(t.TempDir(), "file-index")
	if err := first.Save(index, time.Now()); err != nil {
		t.Fatal(err)
	}

	next, err := fileindex.Load(index)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want.Files, through(next)); d != "" {
		t.Errorf("files through the saved index (-hashed +got):\n%s", d)
	}
	if s := next.Stats(); s != (fileindex.Stats{Unchanged: 2}) {
		t.Errorf("next run: %+v, want both files answered by the index", s)
	}

	e.write(filepath.Base(cert), "edited", []byte("edited by hand\n"), 0o644)
	got := through(next)
	if got[cert].SHA256 != digest.SHA256([]byte("edited by hand\n")) {
		t.Errorf("the edit is not seen: %+v", got[cert])
	}
}

// TestRefreshIndexRelativePaths: with the working directory as the
// configuration directory (relative output paths, no Dir), the index
// still learns the files, by absolute path.
func TestRefreshIndexRelativePaths(t *testing.T) {
	e := newEnv(t)
	e.write("web.key", "web.key", []byte("key\n"), 0o600) // not in state: only the configuration names them
	e.write("web.crt", "web.crt", []byte("certificate\n"), 0o644)
	t.Chdir(e.dir)
	cfg, diags := config.LoadSource([]byte(`
certificate "web" {
  common_name = "web"
  signer_name = "example.com/refresh"
  usages      = ["digital signature", "server auth"]
  output {
    key_file  = "web.key"
    cert_file = "web.crt"
  }
}
`), "main.hcl", "", config.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	x := fileindex.New()
	w, err := RefreshIn(context.Background(), cfg, e.st, e.cs, nil, e.keys, x)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Files["web.crt"].Exists || x.Len() != 2 {
		t.Errorf("web.crt observed %+v, %d index entries; want it found and both files indexed", w.Files["web.crt"], x.Len())
	}
}
