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

func runFmt(ctx context.Context, g *GlobalOptions, args []string, s Streams) (int, error) {
	var o FmtOptions
	fs := newFlagSet("fmt", g, s)
	fs.BoolVar(&o.Check, "check", false, "change nothing; exit 3 when a file is not formatted")
	fs.BoolVar(&o.Diff, "diff", false, "print the changes as a unified diff")
	fs.BoolVar(&o.Recursive, "recursive", false, "also format subdirectories")
	if err := fs.Parse(args); err != nil {
		return exitError, err
	}
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

// unifiedDiff renders the line changes from a to b as one unified hunk
// per run of changes, with three lines of context.
func unifiedDiff(path, a, b string) string {
	al, bl := strings.SplitAfter(a, "\n"), strings.SplitAfter(b, "\n")
	ops := lineOps(al, bl)
	var out strings.Builder
	name := strings.TrimPrefix(filepath.ToSlash(path), "/")
	fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", name, name)
	const ctx = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(0, i-ctx)
		end := i
		for j := i; j < len(ops) && j <= end+2*ctx; j++ {
			if ops[j].kind != ' ' {
				end = j
			}
		}
		end = min(len(ops), end+ctx+1)
		aStart, bStart, aN, bN := ops[start].a+1, ops[start].b+1, 0, 0
		var body strings.Builder
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				aN++
			}
			if op.kind != '-' {
				bN++
			}
			line := op.text
			if !strings.HasSuffix(line, "\n") {
				line += "\n"
			}
			body.WriteString(string(op.kind) + line)
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n%s", aStart, aN, bStart, bN, body.String())
		i = end
	}
	return out.String()
}

type lineOp struct {
	kind byte // ' ', '-', '+'
	text string
	a, b int // line indexes before the op
}

// lineOps is a longest-common-subsequence line diff: fine for the small
// files fmt handles.
func lineOps(a, b []string) []lineOp {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []lineOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, lineOp{' ', a[i], i, j})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, lineOp{'-', a[i], i, j})
			i++
		default:
			ops = append(ops, lineOp{'+', b[j], i, j})
			j++
		}
	}
	return ops
}
