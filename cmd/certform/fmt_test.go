package main

import (
	"os"
	"path/filepath"
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
