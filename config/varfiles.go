package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/certform/certform/internal/workdir"
)

// Variable files are HCL with the extension .tfvars, as in Terraform, so
// that no variable file is ever also a configuration file (*.hcl). Two
// kinds are read without being named, lowest precedence first, after the
// environment and before --var and --var-file:
const (
	// VarFileSuffix is the extension of variable files.
	VarFileSuffix = ".tfvars"
	// DefaultVarFile is loaded when the configuration directory holds it.
	DefaultVarFile = "certform.tfvars"
	// AutoVarFileSuffix marks further files loaded in lexical order.
	AutoVarFileSuffix = ".auto.tfvars"
)

// autoVarFiles returns the variable files of dir that are loaded without
// being named: certform.tfvars, then *.auto.tfvars in lexical order.
func autoVarFiles(base workdir.Dir, dir string) []VarArg {
	entries, err := os.ReadDir(base.Path(dir))
	if err != nil {
		return nil // Load reports the directory
	}
	var first, auto []VarArg
	for _, e := range entries {
		switch name := e.Name(); {
		case e.IsDir() || strings.HasPrefix(name, "."):
		case name == DefaultVarFile:
			first = append(first, VarArg{File: true, Value: filepath.Join(dir, name)})
		case strings.HasSuffix(name, AutoVarFileSuffix):
			auto = append(auto, VarArg{File: true, Value: filepath.Join(dir, name)})
		}
	}
	slices.SortFunc(auto, func(a, b VarArg) int { return strings.Compare(a.Value, b.Value) })
	return append(first, auto...)
}

// varFilesInConfig finds --var-file arguments that are also configuration
// files of dir, and returns an error for each with the names to leave out
// of the configuration: parsed as configuration, a variable file fails with
// "Unsupported argument", which does not say why.
func varFilesInConfig(base workdir.Dir, dir string, names []string, args []VarArg) (map[string]bool, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	skip := map[string]bool{}
	absDir := base.Abs(dir)
	for _, a := range args {
		if !a.File {
			continue
		}
		abs := base.Abs(a.Value)
		if filepath.Dir(abs) != absDir || !slices.Contains(names, filepath.Base(abs)) {
			continue
		}
		name := filepath.Base(abs)
		skip[name] = true
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Variable file is a configuration file",
			Detail: fmt.Sprintf("--var-file %s names a file in the configuration directory ending in %s, and every such file is configuration. "+
				"Rename it to %s (variable files end in %s), then pass --var-file %s; or name it %s or NAME%s to load it without --var-file.",
				a.Value, FileSuffix, tfvarsName(name), VarFileSuffix, tfvarsName(a.Value), DefaultVarFile, AutoVarFileSuffix),
			Subject: &hcl.Range{Filename: filepath.Join(dir, name), Start: hcl.InitialPos, End: hcl.InitialPos}})
	}
	return skip, diags
}

// looksLikeVarFile reports a configuration file that sets attributes at
// its top level, which only a variable file does, as one error that says
// so, instead of one "Unsupported argument" per attribute.
func looksLikeVarFile(f *hcl.File) *hcl.Diagnostic {
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok || len(body.Attributes) == 0 {
		return nil
	}
	var first *hclsyntax.Attribute
	for _, a := range body.Attributes {
		if first == nil || a.SrcRange.Start.Byte < first.SrcRange.Start.Byte {
			first = a
		}
	}
	name := first.SrcRange.Filename
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Variable values in a configuration file",
		Detail: fmt.Sprintf("%s sets %q at its top level, as a variable file does, but every *%s file of the directory is configuration. "+
			"If it holds variable values, rename it to %s and pass --var-file %s, or name it %s or NAME%s to load it without --var-file.",
			filepath.Base(name), first.Name, FileSuffix, tfvarsName(filepath.Base(name)), tfvarsName(filepath.Base(name)), DefaultVarFile, AutoVarFileSuffix),
		Subject: first.NameRange.Ptr()}
}

// tfvarsName is path with its .hcl extension replaced by .tfvars.
func tfvarsName(path string) string {
	return strings.TrimSuffix(path, FileSuffix) + VarFileSuffix
}
