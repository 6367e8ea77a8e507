package views

import (
	"bytes"
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"
)

// MaxDiagnostics is how many diagnostics RenderDiagnostics shows in full.
// HCL's text writer scans the whole file for each snippet, so showing every
// one of the thousands of errors that a file of garbage produces took time
// quadratic in its size (41 s for 100 KB); the first few are what a person
// reads anyway, and validate --json lists them all.
const MaxDiagnostics = 20

// RenderDiagnostics writes diags with source snippets, as HCL's own tools
// do: errors first, at most MaxDiagnostics of them in full, then one line
// counting the rest.
func RenderDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, col Colorizer, width uint) error {
	if len(diags) == 0 {
		return nil
	}
	if width == 0 {
		width = 100
	}
	shown := make(hcl.Diagnostics, 0, min(len(diags), MaxDiagnostics))
	moreErrors, moreWarnings := 0, 0
	for _, sev := range []hcl.DiagnosticSeverity{hcl.DiagError, hcl.DiagWarning} {
		for _, d := range diags {
			switch {
			case d.Severity != sev:
			case len(shown) < MaxDiagnostics:
				shown = append(shown, d)
			case sev == hcl.DiagError:
				moreErrors++
			default:
				moreWarnings++
			}
		}
	}
	for _, d := range shown {
		if err := hcl.NewDiagnosticTextWriter(w, snippetFiles(files, d), width, col.Enabled).WriteDiagnostic(d); err != nil {
			return err
		}
	}
	if moreErrors+moreWarnings == 0 {
		return nil
	}
	_, err := fmt.Fprintf(w, "... %s not shown; certform validate --json lists them all.\n\n",
		counted(moreErrors, "error", moreWarnings, "warning"))
	return err
}

// counted says "3 more errors and 1 more warning", leaving out a zero count.
func counted(a int, aName string, b int, bName string) string {
	plural := func(n int, name string) string {
		if n == 1 {
			return "1 more " + name
		}
		return fmt.Sprintf("%d more %ss", n, name)
	}
	switch {
	case a > 0 && b > 0:
		return plural(a, aName) + " and " + plural(b, bName)
	case a > 0:
		return plural(a, aName)
	}
	return plural(b, bName)
}

// snippetFiles gives HCL's writer only the source up to the end of d's
// snippet: it scans its file from the start to the end for every
// diagnostic, and the lines after the snippet are never shown.
func snippetFiles(files map[string]*hcl.File, d *hcl.Diagnostic) map[string]*hcl.File {
	if d.Subject == nil {
		return nil
	}
	f := files[d.Subject.Filename]
	if f == nil || f.Bytes == nil {
		return nil
	}
	end := d.Subject.End.Byte
	if d.Context != nil && d.Context.Filename == d.Subject.Filename {
		end = max(end, d.Context.End.Byte)
	}
	end = min(max(end+1, 0), len(f.Bytes)) // an empty range is shown as one character
	if nl := bytes.IndexByte(f.Bytes[end:], '\n'); nl >= 0 {
		end += nl + 1
	} else {
		end = len(f.Bytes)
	}
	cut := *f
	cut.Bytes = f.Bytes[:end]
	return map[string]*hcl.File{d.Subject.Filename: &cut}
}
