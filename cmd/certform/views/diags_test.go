package views

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestRenderDiagnosticsBounded: a file of garbage makes thousands of
// errors; rendering each with its snippet scans the file each time (41 s
// for 100 KB). Only the first MaxDiagnostics are rendered, errors before
// warnings, and one line counts the rest.
func TestRenderDiagnosticsBounded(t *testing.T) {
	var src strings.Builder
	for src.Len() < 100<<10 {
		src.WriteString("a = = ]\n")
	}
	f, diags := hclsyntax.ParseConfig([]byte(src.String()), "garbage.hcl", hcl.InitialPos)
	if len(diags) < 1000 {
		t.Fatalf("the fixture should make many errors, made %d", len(diags))
	}
	warn := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "A warning first"}
	diags = append(hcl.Diagnostics{warn}, diags...)
	var out bytes.Buffer
	files := map[string]*hcl.File{"garbage.hcl": f}
	if err := RenderDiagnostics(&out, files, diags, Colorizer{}, 0); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if n := strings.Count(text, "Error: "); n != MaxDiagnostics {
		t.Errorf("rendered %d errors, want %d", n, MaxDiagnostics)
	}
	if strings.Contains(text, "A warning first") {
		t.Errorf("a warning was shown before errors were exhausted")
	}
	want := "... " + strconv.Itoa(len(diags)-1-MaxDiagnostics) + " more errors and 1 more warning not shown; certform validate --json lists them all."
	if !strings.Contains(text, want) {
		t.Errorf("output lacks %q; ends with:\n%s", want, text[max(0, len(text)-300):])
	}
}

func TestRenderDiagnosticsAllShown(t *testing.T) {
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagWarning, Summary: "W"},
		{Severity: hcl.DiagError, Summary: "E"},
	}
	var out bytes.Buffer
	if err := RenderDiagnostics(&out, nil, diags, Colorizer{}, 0); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "Error: E\n\nWarning: W\n\n" {
		t.Errorf("got %q", got)
	}
}
