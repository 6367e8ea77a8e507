package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/certform/certform/internal/workdir"
)

// dirTree is a configuration whose every relative path is read from its
// own directory: files, a module, file(), certform.tfvars and a
// --var-file.
var dirTree = map[string]string{
	"main.hcl": `variable "name" {
  type = string
}
variable "namespace" {
  type = string
}
locals {
  org = trimspace(file("org.txt"))
}
module "svc" {
  source    = "./modules/svc"
  name      = var.name
  namespace = var.namespace
}
`,
	"modules/svc/main.hcl": serviceCert,
	"org.txt":              "certform-tests\n",
	"certform.tfvars":      `name = "web"`,
	"env/prod.tfvars":      `namespace = "prod"`,
}

// TestLoadFromDir: with Inputs.Dir, Load reads a configuration in another
// directory than the working directory, resolving every relative path
// there, and names its files (in diagnostics and the files map) and paths
// (outputs) as written: relative to the configuration directory.
func TestLoadFromDir(t *testing.T) {
	dir := writeTree(t, dirTree)
	t.Chdir(t.TempDir()) // an empty working directory: nothing may be read from it
	in := Inputs{Dir: workdir.Dir(dir), Args: []VarArg{{File: true, Value: "env/prod.tfvars"}}}
	cfg, files, diags := Load(".", in)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if cfg.Dir != workdir.Dir(dir) {
		t.Errorf("Config.Dir = %q, want %q", cfg.Dir, dir)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, filepath.ToSlash(name))
	}
	slices.Sort(names)
	if want := []string{"certform.tfvars", "env/prod.tfvars", "main.hcl", "modules/svc/main.hcl"}; !slices.Equal(names, want) {
		t.Errorf("files %q, want %q", names, want)
	}
	if len(cfg.Certificates) != 1 {
		t.Fatalf("want the module's certificate, got %d", len(cfg.Certificates))
	}
	if c := cfg.Certificates[0]; c.Output.KeyFile != "out/prod/web.key" {
		t.Errorf("key_file %q, want it as written", c.Output.KeyFile)
	}
	if got := cfg.Values["namespace"]; !got.RawEquals(cty.StringVal("prod")) {
		t.Errorf("namespace = %#v, want the --var-file's", got)
	}

	settings, _, diags := LoadSettings(".", workdir.Dir(dir))
	if diags.HasErrors() || settings.Dir != workdir.Dir(dir) {
		t.Errorf("LoadSettings: Dir %q, %s", settings.Dir, diags)
	}
}

// TestLoadFromDirDiagnostics: a mistake in a configuration read through
// Inputs.Dir is reported at the file as written, and file() of a missing
// file names it as written too.
func TestLoadFromDirDiagnostics(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.hcl":   "locals {\n  a = file(\"missing.txt\")\n}\n",
		"broken.hcl": "certificate {\n",
	})
	t.Chdir(t.TempDir())
	_, _, diags := Load(".", Inputs{Dir: workdir.Dir(dir)})
	if !diags.HasErrors() {
		t.Fatal("want the syntax error")
	}
	for _, d := range diags {
		if d.Subject == nil || d.Subject.Filename != "broken.hcl" {
			t.Errorf("diagnostic %q at %v, want it at broken.hcl", d.Summary, d.Subject)
		}
	}
	dir = writeTree(t, map[string]string{"main.hcl": "locals {\n  a = file(\"missing.txt\")\n}\n"})
	_, _, diags = Load(".", Inputs{Dir: workdir.Dir(dir)})
	if !diags.HasErrors() || diags[0].Subject.Filename != "main.hcl" || !strings.Contains(diags[0].Detail, "cannot read missing.txt") || strings.Contains(diags[0].Detail, dir) {
		t.Errorf("want file()'s error at main.hcl naming missing.txt as written, got %s", diags)
	}
}
