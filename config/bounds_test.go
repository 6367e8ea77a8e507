package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestNestingBounded: every way HCL's parser recurses is bounded before it
// parses, so deep input is a diagnostic with a range, not a stack overflow
// that kills the process (70,000 "(" did, in every command).
func TestNestingBounded(t *testing.T) {
	deep := 70000
	tests := map[string]string{
		"parentheses":             "x = " + strings.Repeat("(", deep) + "1" + strings.Repeat(")", deep),
		"open only":               "x = " + strings.Repeat("(", deep),
		"brackets":                "x = " + strings.Repeat("[", deep) + strings.Repeat("]", deep),
		"braces":                  "x = " + strings.Repeat("{a=", deep) + "1" + strings.Repeat("}", deep),
		"unary":                   "x = " + strings.Repeat("!", deep) + "true",
		"minus":                   "x = " + strings.Repeat("-", deep) + "1",
		"conditionals":            "x = " + strings.Repeat("true ? 1 : ", deep) + "2",
		"conditionals over lines": "x = (" + strings.Repeat("true ? 1 :\n", deep) + "2)",
		"interpolation":           "x = " + strings.Repeat(`"${`, deep) + "1" + strings.Repeat(`}"`, deep),
		"template if":             "x = \"" + strings.Repeat("%{if true}", deep) + strings.Repeat("%{endif}", deep) + "\"",
		"blocks":                  strings.Repeat("b {\n", deep) + strings.Repeat("}\n", deep),
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			_, diags := LoadSource([]byte(src), "deep.hcl", "testdata", Inputs{})
			if !hasSummary(diags, "Configuration nested too deeply") {
				t.Fatalf("want a nesting error, got %v", diags)
			}
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic without a range: %s", d.Summary)
				}
			}
		})
	}
}

// TestNestingAllowed: ordinary nesting, however long the file, passes.
func TestNestingAllowed(t *testing.T) {
	tests := map[string]string{
		"nested to the limit": "x = " + strings.Repeat("(", MaxNesting-1) + "1" + strings.Repeat(")", MaxNesting-1),
		"many conditionals":   strings.Repeat("x = true ? 1 : 2\n", 1000),
		"many list items":     "x = [" + strings.Repeat("true ? 1 : 2, ", 1000) + "]",
		"many templates":      strings.Repeat("x = \"%{if true}a%{endif}${1}\"\n", 1000),
		"subtractions":        "x = 1" + strings.Repeat(" - 1", 1000),
		"heredocs":            strings.Repeat("x = <<EOT\n${(1)}\nEOT\n", 500),
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			if diags := CheckNesting([]byte(src), "ok.hcl"); diags.HasErrors() {
				t.Fatalf("unexpected: %v", diags)
			}
		})
	}
}

// TestInputFilesBounded: configuration and variable files are read with a
// size bound, and devices are refused before a byte is read
// (--var-file /dev/zero grew to 23 GB).
func TestInputFilesBounded(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(`variable "x" { default = "a" }`), 0o644)
	big := filepath.Join(t.TempDir(), "big.hcl")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(17 << 20) // sparse: costs no disk
	f.Close()
	deep := filepath.Join(t.TempDir(), "deep.hcl")
	os.WriteFile(deep, []byte("x = "+strings.Repeat("(", 70000)), 0o644)
	bigDir := t.TempDir()
	os.Link(big, filepath.Join(bigDir, "main.hcl"))
	tests := map[string]struct {
		dir      string
		varFile  string
		wantDiag string
	}{
		"var file is a device":  {dir: dir, varFile: "/dev/zero", wantDiag: "/dev/zero is a device, not a file"},
		"var file too large":    {dir: dir, varFile: big, wantDiag: "more than the limit of 16 MiB"},
		"var file nested":       {dir: dir, varFile: deep, wantDiag: "Expressions may nest at most"},
		"config file too large": {dir: bigDir, wantDiag: "more than the limit of 16 MiB"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var in Inputs
			if tc.varFile != "" {
				in.Args = []VarArg{{File: true, Value: tc.varFile}}
			}
			_, files, diags := Load(tc.dir, in)
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.wantDiag) {
				t.Fatalf("want an error with %q, got %v", tc.wantDiag, diags)
			}
			for _, d := range diags {
				if d.Severity == hcl.DiagError && d.Subject == nil {
					t.Errorf("error without a range: %s", d.Summary)
				}
			}
			_ = files
		})
	}
}

func hasSummary(diags hcl.Diagnostics, summary string) bool {
	for _, d := range diags {
		if d.Summary == summary {
			return true
		}
	}
	return false
}
