package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/pflag"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
)

// exitFmtCheck is fmt --check's exit code when files need formatting, as
// in terraform fmt -check.
const exitFmtCheck = 3

// FmtOptions are fmt's flags.
type FmtOptions struct {
	Check     bool
	Diff      bool
	Recursive bool
}

var cmdFmt = &command{
	name: "fmt", summary: "rewrite configuration files in canonical format",
	desc: `Rewrites the configuration files (*.hcl) of the configuration directory, and with --recursive
of its subdirectories (not hidden ones), in canonical format, and prints the name of each file it
changed. A file with syntax errors is reported and left as it is; the others are still formatted.
--check changes nothing and exits 3 when a file is not formatted.`,
	examples: []string{
		"certform fmt",
		"certform fmt --check --diff --recursive   # in CI",
	},
	globals: gChdir,
	new:     func() Options { return &FmtOptions{} },
}

// AddFlags adds fmt's flags.
func (o *FmtOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Check, "check", false, "change nothing; exit 3 when a file is not formatted")
	fs.BoolVar(&o.Diff, "diff", false, "print the changes as a unified diff")
	fs.BoolVar(&o.Recursive, "recursive", false, "also format subdirectories")
}

// Complete refuses arguments: fmt formats the configuration directory.
func (o *FmtOptions) Complete(_ *GlobalOptions, args []string) error {
	return noArgs("fmt", args)
}

// Validate has nothing to check.
func (o *FmtOptions) Validate() error { return nil }

// Run formats the files.
func (o *FmtOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	root := "."
	if g.Chdir != "" {
		root = g.Chdir
	}
	files, err := hclFiles(root, o.Recursive)
	if err != nil {
		return exitError, err
	}
	unformatted := 0
	var failed []string
	var errs []error
	// A file that cannot be formatted is reported and left alone; the
	// others are still formatted (docs/commands.md).
	for _, path := range files {
		changed, err := o.formatFile(path, s)
		var bad *unparsableError
		switch {
		case errors.As(err, &bad):
			failed = append(failed, path)
		case err != nil:
			errs = append(errs, err)
		}
		if changed {
			unformatted++
		}
	}
	if len(failed) > 0 {
		errs = append(errs, fmt.Errorf("%d file(s) have errors and were left as they are: %s", len(failed), strings.Join(failed, ", ")))
		return exitError, withHint(errors.Join(errs...), "fix the errors above, then run certform fmt again")
	}
	if len(errs) > 0 {
		return exitError, errors.Join(errs...)
	}
	if o.Check && unformatted > 0 {
		return exitFmtCheck, nil
	}
	return exitOK, nil
}

// formatFile formats one file and reports whether it was not formatted.
func (o *FmtOptions) formatFile(path string, s Streams) (bool, error) {
	src, diags := config.ReadSource(path)
	if !diags.HasErrors() {
		diags = config.CheckNesting(src, path)
	}
	if !diags.HasErrors() {
		_, diags = hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	}
	if diags.HasErrors() {
		if err := views.RenderDiagnostics(s.Err, map[string]*hcl.File{path: {Bytes: src}}, diags, views.Colorizer{}, 0); err != nil {
			return false, err
		}
		return false, &unparsableError{path: path}
	}
	out := hclwrite.Format(src)
	if bytes.Equal(src, out) {
		return false, nil
	}
	fmt.Fprintln(s.Out, path)
	if o.Diff {
		fmt.Fprint(s.Out, unifiedDiff(path, string(src), string(out)))
	}
	if o.Check {
		return true, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return true, err
	}
	return true, os.WriteFile(path, out, st.Mode().Perm())
}

// unparsableError is a file fmt left alone because it does not parse;
// its diagnostics were printed.
type unparsableError struct{ path string }

func (e *unparsableError) Error() string {
	return e.path + " cannot be formatted; fmt changes nothing in it"
}

func hclFiles(root string, recursive bool) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (!recursive || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, config.FileSuffix) {
			files = append(files, path)
		}
		return nil
	})
	return files, err
}

// diffLines splits s into lines that each end in a newline, with no
// empty line after the last one.
func diffLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		return lines[:len(lines)-1]
	}
	lines[len(lines)-1] += "\n"
	return lines
}

// unifiedDiff renders the line changes from a to b as a unified diff
// with three lines of context.
func unifiedDiff(path, a, b string) string {
	name := strings.TrimPrefix(filepath.ToSlash(path), "/")
	out, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: diffLines(a), B: diffLines(b),
		FromFile: "a/" + name, ToFile: "b/" + name, Context: 3,
	})
	if err != nil {
		return "" // only a failing writer makes an error, and a strings.Builder does not fail
	}
	return out
}
