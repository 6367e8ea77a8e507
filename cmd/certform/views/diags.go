package views

import (
	"io"

	"github.com/hashicorp/hcl/v2"
)

// RenderDiagnostics writes diags with source snippets, as HCL's own tools do.
func RenderDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, col Colorizer, width uint) error {
	if len(diags) == 0 {
		return nil
	}
	if width == 0 {
		width = 100
	}
	return hcl.NewDiagnosticTextWriter(w, files, width, col.Enabled).WriteDiagnostics(diags)
}
