package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFmtRecursiveGoesPastSyntaxErrors: a file that does not parse is
// reported and left alone, and the files after it are still formatted.
func TestFmtRecursiveGoesPastSyntaxErrors(t *testing.T) {
	dir := t.TempDir()
	const broken = "certificate \"a\" {\n  common_name = \n"
	const messy = "locals {\n  a=1\n    bb =  2\n}\n"
	const tidy = "locals {\n  a  = 1\n  bb = 2\n}\n"
	files := map[string]string{"a.hcl": broken, "b.hcl": messy, "sub/c.hcl": messy, "sub/z.hcl": messy}
	for name, content := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := certform(t, dir, "", "fmt", "--recursive")
	if r.code != exitError {
		t.Fatalf("want exit %d for the file with errors\n%s", exitError, r)
	}
	mustContain(t, r, "1 file(s) have errors and were left as they are: "+filepath.Join(dir, "a.hcl"))
	want := map[string]string{"a.hcl": broken, "b.hcl": tidy, "sub/c.hcl": tidy, "sub/z.hcl": tidy}
	for name, content := range want {
		got, _ := os.ReadFile(filepath.Join(dir, name))
		if string(got) != content {
			t.Errorf("%s after fmt:\n%s\nwant:\n%s", name, got, content)
		}
	}
}

// TestFmtRecursive: fmt formats the configuration directory; --recursive
// also its subdirectories, but never hidden ones (.certform, .git). In
// process: fmt reads the directory --chdir names without entering it.
func TestFmtRecursive(t *testing.T) {
	const messy = "locals {\n  a=1\n}\n"
	const tidy = "locals {\n  a = 1\n}\n"
	files := []string{"main.hcl", "modules/web/main.hcl", "modules/web/deep/x.hcl", ".certform/cache.hcl", ".git/x.hcl"}
	cases := map[string]struct {
		args      []string
		formatted []string
	}{
		"top level only": {[]string{"fmt"}, []string{"main.hcl"}},
		"--recursive":    {[]string{"fmt", "--recursive"}, []string{"main.hcl", "modules/web/main.hcl", "modules/web/deep/x.hcl"}},
		"-recursive":     {[]string{"fmt", "-recursive"}, []string{"main.hcl", "modules/web/main.hcl", "modules/web/deep/x.hcl"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range files {
				os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
				if err := os.WriteFile(filepath.Join(dir, f), []byte(messy), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := inProcess(append([]string{"--chdir", dir}, tc.args...)...)
			if r.code != exitOK {
				t.Fatalf("%s\n%s", tc.args, r)
			}
			var listed []string
			for _, f := range files {
				got, _ := os.ReadFile(filepath.Join(dir, f))
				want := messy
				if slices.Contains(tc.formatted, f) {
					want = tidy
					listed = append(listed, filepath.Join(dir, f))
				}
				if string(got) != want {
					t.Errorf("%s after %s:\n%s\nwant:\n%s", f, tc.args, got, want)
				}
			}
			slices.Sort(listed)
			gotListed := strings.Fields(r.stdout)
			slices.Sort(gotListed)
			if !slices.Equal(gotListed, listed) {
				t.Errorf("fmt listed %q, want %q", gotListed, listed)
			}
		})
	}
}

// TestFmtDiff: fmt --diff prints a unified diff with three lines of
// context, as diff -u does.
func TestFmtDiff(t *testing.T) {
	dir := t.TempDir()
	src := "# head\n\n\n\nlocals {\n  a=1\n  bb = 2\n}\n\n\n\n\ncertificate \"x\" {\ncommon_name=\"x\"\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := inProcess("--chdir", dir, "fmt", "--check", "--diff")
	name := strings.TrimPrefix(filepath.ToSlash(filepath.Join(dir, "main.hcl")), "/")
	want := filepath.Join(dir, "main.hcl") + "\n" +
		"--- a/" + name + "\n+++ b/" + name + "\n" +
		"@@ -3,7 +3,7 @@\n \n \n locals {\n-  a=1\n+  a  = 1\n   bb = 2\n }\n \n" +
		"@@ -11,5 +11,5 @@\n \n \n certificate \"x\" {\n-common_name=\"x\"\n+  common_name = \"x\"\n }\n"
	if r.code != exitFmtCheck || r.stdout != want {
		t.Errorf("exit %d, want %d; diff:\n%s\nwant:\n%s", r.code, exitFmtCheck, r.stdout, want)
	}
}
