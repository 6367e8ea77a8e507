package samefile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/workdir"
)

// TestSameFiles builds a configuration directory with symbolic links and
// hard links and checks which outputs are found to be one file.
func TestSameFiles(t *testing.T) {
	cases := map[string]struct {
		setup   func(t *testing.T, d workdir.Dir)
		outputs string
		want    string // a part of the error; "" for none
	}{
		"distinct files": {
			outputs: `key_file = "out/a.key"  cert_file = "out/a.crt"  csr_file = "other/a.key"`,
		},
		"csr_file through a symlinked directory": {
			setup:   func(t *testing.T, d workdir.Dir) { mkdir(t, d, "out"); symlink(t, d, "out", "link") },
			outputs: `key_file = "out/a.key"  cert_file = "out/a.crt"  csr_file = "link/a.key"`,
			want:    "are one file",
		},
		"csr_file in a directory not made yet, through a symlinked directory": {
			setup:   func(t *testing.T, d workdir.Dir) { mkdir(t, d, "out"); symlink(t, d, "out", "link") },
			outputs: `key_file = "out/new/a.key"  cert_file = "out/new/a.crt"  csr_file = "link/new/a.key"`,
			want:    "are one file",
		},
		"files of the same name in directories not made yet": {
			outputs: `key_file = "a/x.pem"  cert_file = "b/x.pem"  csr_file = "a/b/x.pem"`,
		},
		"chain_file is a symlink to the key file": {
			setup: func(t *testing.T, d workdir.Dir) {
				mkdir(t, d, "out")
				write(t, d, "out/a.key")
				symlink(t, d, "a.key", "out/chain.pem")
			},
			outputs: `key_file = "out/a.key"  cert_file = "out/a.crt"  chain_file = "out/chain.pem"`,
			want:    "are one file",
		},
		"hard links": {
			setup: func(t *testing.T, d workdir.Dir) {
				mkdir(t, d, "out")
				write(t, d, "out/a.key")
				if err := os.Link(d.Path("out/a.key"), d.Path("out/a.crt")); err != nil {
					t.Fatal(err)
				}
			},
			outputs: `key_file = "out/a.key"  cert_file = "out/a.crt"`,
			want:    "are one file",
		},
		"ca_file is the state file through a symlinked directory": {
			setup:   func(t *testing.T, d workdir.Dir) { symlink(t, d, ".", "here") },
			outputs: `key_file = "out/a.key"  cert_file = "out/a.crt"  ca_file = "here/certform.state.json"`,
			want:    "certform's own certform.state.json",
		},
		"key_file in the pending keys through a symlink": {
			setup: func(t *testing.T, d workdir.Dir) {
				mkdir(t, d, ".certform/pending-keys")
				symlink(t, d, ".certform/pending-keys", "keys")
			},
			outputs: `key_file = "keys/a.pem"  cert_file = "out/a.crt"`,
			want:    "certform's own .certform",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := workdir.Dir(t.TempDir()) // not the working directory: Check places paths in the configuration's
			if tc.setup != nil {
				tc.setup(t, d)
			}
			src := "certificate \"a\" {\n  common_name = \"a\"\n  signer_name = \"example.com/x\"\n  output {\n" +
				strings.ReplaceAll(tc.outputs, "  ", "\n") + "\n  }\n}\n"
			cfg, diags := config.LoadSource([]byte(src), "main.hcl", ".", config.Inputs{Dir: d})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			err := Check(cfg, ".certform/pending-keys")
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Check: %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Check: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func mkdir(t *testing.T, d workdir.Dir, dir string) {
	t.Helper()
	if err := os.MkdirAll(d.Path(dir), 0o755); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, d workdir.Dir, path string) {
	t.Helper()
	if err := os.WriteFile(d.Path(path), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, d workdir.Dir, target, link string) {
	t.Helper()
	mkdir(t, d, filepath.Dir(link))
	if err := os.Symlink(target, d.Path(link)); err != nil {
		t.Fatal(err)
	}
}

// TestManyOutputs checks outputs enough to be located on several
// goroutines, many of them one file through a symbolic link and some
// existing, and wants the error of locating them one by one, in order.
func TestManyOutputs(t *testing.T) {
	d := workdir.Dir(t.TempDir())
	mkdir(t, d, "out")
	symlink(t, d, "out", "link")
	n := parallelFrom
	keys := make([]string, 0, n)
	for i := range n {
		k := fmt.Sprintf("k%03d", i)
		keys = append(keys, fmt.Sprintf("%s = %d", k, i))
		if i%3 == 0 {
			write(t, d, filepath.Join("out", k+".crt"))
		}
	}
	src := `certificate "a" {
  for_each    = {` + strings.Join(keys, ", ") + `}
  common_name = "a"
  signer_name = "example.com/x"
  output {
    key_file  = "out/${each.key}.key"
    cert_file = "out/${each.key}.crt"
    csr_file  = each.value % 7 == 0 ? "link/${each.key}.crt" : "out/${each.key}.csr"
  }
}
`
	cfg, diags := config.LoadSource([]byte(src), "main.hcl", ".", config.Inputs{Dir: d})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	parallel := Check(cfg, ".certform/pending-keys")
	defer func(n int) { parallelFrom = n }(parallelFrom)
	parallelFrom = 1 << 30
	oneByOne := Check(cfg, ".certform/pending-keys")
	if oneByOne == nil || strings.Count(oneByOne.Error(), "are one file") < n/7 {
		t.Fatalf("one by one: %v, want an error for every seventh certificate", oneByOne)
	}
	if parallel == nil || parallel.Error() != oneByOne.Error() {
		t.Errorf("on several goroutines:\n%v\nwant, as one by one:\n%v", parallel, oneByOne)
	}
}
