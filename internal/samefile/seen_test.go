package samefile

import (
	"slices"
	"sync"
	"syscall"
	"testing"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/workdir"
)

// TestCheckSeeing: the check tells of each output that is a regular file,
// by its clean absolute path (relative out/./a.key as out/a.key), with the
// lstat it took; not of a missing output (a.csr, b.key), nor of a symbolic
// link (b.crt), whose lstat is not the stat of the file it leads to, nor
// of an absolute path that is not clean (c.crt), which the kernel may
// resolve to another file than its clean form names (a .. after a link).
func TestCheckSeeing(t *testing.T) {
	d := workdir.Dir(t.TempDir())
	mkdir(t, d, "out")
	write(t, d, "out/a.key")
	write(t, d, "out/a.crt")
	write(t, d, "target.crt")
	write(t, d, "out/c.crt")
	symlink(t, d, "../target.crt", "out/b.crt")
	src := `certificate "a" {
  common_name = "a"
  signer_name = "example.com/x"
  output {
    key_file  = "out/./a.key"
    cert_file = "out/a.crt"
    csr_file  = "out/a.csr"
  }
}
certificate "b" {
  common_name = "b"
  signer_name = "example.com/x"
  output {
    key_file  = "out/b.key"
    cert_file = "out/b.crt"
  }
}
certificate "c" {
  common_name = "c"
  signer_name = "example.com/x"
  output {
    key_file  = "out/c.key"
    cert_file = "` + d.Path("out") + `/./c.crt"
  }
}
`
	cfg, diags := config.LoadSource([]byte(src), "main.hcl", ".", config.Inputs{Dir: d})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var mu sync.Mutex
	var got []string
	err := CheckSeeing(cfg, ".certform/pending-keys", func(path string, st *syscall.Stat_t) {
		var now syscall.Stat_t
		if err := syscall.Lstat(path, &now); err != nil || now.Ino != st.Ino || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
			t.Errorf("told of %s with a stat not of its regular file (%v)", path, err)
		}
		mu.Lock()
		got = append(got, path)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{d.Path("out/a.crt"), d.Path("out/a.key")}
	if !slices.Equal(got, want) {
		t.Fatalf("told of %q, want %q (regular files only, by clean absolute path)", got, want)
	}
}
