package workdir

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPath: relative paths join the directory; absolute and empty ones,
// and any path with the working directory as Dir, stay as they are.
func TestPath(t *testing.T) {
	cases := map[string]struct {
		dir       Dir
		path      string
		want, abs string
	}{
		"relative":          {"/cfg", "out/web.key", "/cfg/out/web.key", "/cfg/out/web.key"},
		"parent":            {"/cfg/prod", "../shared/ca.crt", "/cfg/shared/ca.crt", "/cfg/shared/ca.crt"},
		"dot":               {"/cfg", ".", "/cfg", "/cfg"},
		"absolute":          {"/cfg", "/etc/tls/web.key", "/etc/tls/web.key", "/etc/tls/web.key"},
		"unclean absolute":  {"/cfg", "/etc//tls/../tls/web.key", "/etc//tls/../tls/web.key", "/etc/tls/web.key"},
		"empty path":        {"/cfg", "", "", "/cfg"},
		"working directory": {"", "out/web.key", "out/web.key", ""},
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.dir.Path(tc.path); got != tc.want {
				t.Errorf("Path(%q) = %q, want %q", tc.path, got, tc.want)
			}
			want := tc.abs
			if tc.dir == "" {
				want = filepath.Join(wd, tc.path)
			}
			if got := tc.dir.Abs(tc.path); got != want {
				t.Errorf("Abs(%q) = %q, want %q", tc.path, got, want)
			}
		})
	}
}

// TestAt: --chdir names a directory, taken from the working directory;
// anything else is an error that names it.
func TestAt(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "main.hcl"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(root, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	cases := map[string]struct {
		chdir   string
		want    Dir
		wantErr string
	}{
		"none":          {"", Dir(root), ""},
		"relative":      {".", Dir(root), ""},
		"absolute":      {root, Dir(root), ""},
		"through link":  {"link", Dir(root), ""},
		"missing":       {"nope", "", "no such file or directory"},
		"not directory": {"main.hcl", "", "main.hcl is not a directory"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := At(tc.chdir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("At(%q) = %q, %v; want an error with %q", tc.chdir, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("At(%q) = %q, %v; want %q", tc.chdir, got, err, tc.want)
			}
		})
	}
}

// TestNothingChangesDirectory fails when code outside tests changes the
// process's working directory (os.Chdir, syscall.Chdir and friends, or
// File.Chdir): every path is taken from a Dir instead.
func TestNothingChangesDirectory(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		checked++
		for _, at := range chdirCalls(t, path) {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s:%s changes the working directory; take paths from a workdir.Dir instead", rel, at)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d Go files checked under %s", checked, root)
	}
}

// chdirCalls returns the positions (line:column) of calls in file that
// change the working directory.
func chdirCalls(t *testing.T, file string) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	changers := map[string]bool{} // local package name → changes directories
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if path != "os" && path != "syscall" && path != "golang.org/x/sys/unix" {
			continue
		}
		name := filepath.Base(path)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		changers[name] = true
	}
	var at []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Chdir" && sel.Sel.Name != "Fchdir") {
			return true
		}
		pkg, isIdent := sel.X.(*ast.Ident)
		// os.Chdir(dir), syscall.Fchdir(fd), or a method without
		// arguments: (*os.File).Chdir.
		if isIdent && changers[pkg.Name] || len(call.Args) == 0 && sel.Sel.Name == "Chdir" {
			p := fset.Position(sel.Pos())
			at = append(at, strconv.Itoa(p.Line)+":"+strconv.Itoa(p.Column))
		}
		return true
	})
	return at
}

// TestAtSymlinkedWorkingDirectory: started in a directory reached through
// a symbolic link ($PWD holds the link), a relative path with .. goes
// where the kernel would take it from the real directory, as it did when
// certform changed to the configuration directory, and so does a
// relative --chdir.
func TestAtSymlinkedWorkingDirectory(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"real/cfg", "real/other"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(filepath.Join(root, "real", "cfg"), link); err != nil {
		t.Fatal(err)
	}
	t.Chdir(link)
	cases := map[string]struct {
		chdir, path, want string
	}{
		"no --chdir, ../x":          {"", "../x", filepath.Join(root, "real", "x")},
		"--chdir ., ../x":           {".", "../x", filepath.Join(root, "real", "x")},
		"--chdir ../other, key.pem": {"../other", "key.pem", filepath.Join(root, "real", "other", "key.pem")},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d, err := At(tc.chdir)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Path(tc.path); got != tc.want {
				t.Errorf("At(%q).Path(%q) = %s, want %s (where the kernel takes it)", tc.chdir, tc.path, got, tc.want)
			}
		})
	}
}
