package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
	"github.com/certform/certform/state/statefile"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func init() { statefile.Version = version }

// ValidateOptions are validate's flags.
type ValidateOptions struct {
	JSON   bool
	Policy string
}

var cmdValidate = &command{
	name: "validate", summary: "check the configuration without contacting the cluster",
	desc: `Loads and checks the configuration: syntax, types, references, variables and what each
certificate asks for. It needs no cluster and no state. With --policy DIR it also predicts, for
every certificate, what certform approve --policy DIR would decide on its CSR, and exits 1 when
any would be denied (that needs the cluster: the requester is who the credentials name).`,
	examples: []string{
		"certform validate",
		"certform validate --json   # the diagnostics, for editors and CI",
		"certform validate --policy policies/",
	},
	globals: gAll,
	new:     func() Options { return &ValidateOptions{} },
}

// AddFlags adds validate's flags.
func (o *ValidateOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.JSON, "json", false, "print the result as JSON")
	fs.StringVar(&o.Policy, "policy", "", "also check that certform approve --policy `DIR` would approve every certificate's CSR (needs the cluster)")
}

// Complete refuses arguments: validate takes none.
func (o *ValidateOptions) Complete(_ *GlobalOptions, args []string) error {
	return noArgs("validate", args)
}

// Validate refuses --json with --policy.
func (o *ValidateOptions) Validate() error {
	if o.JSON && o.Policy != "" {
		return withHint(fmt.Errorf("validate --json and --policy cannot be combined"), "plan --policy DIR --json has each prediction")
	}
	return nil
}

// Run loads the configuration and reports its diagnostics.
func (o *ValidateOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	if !o.JSON {
		w, err := loadWorkspace(g, s)
		if err != nil {
			return exitError, err
		}
		fmt.Fprintf(s.Out, "The configuration is valid: %d certificate(s), %d CA bundle(s).\n", len(w.cfg.Certificates), len(w.cfg.CABundles))
		if o.Policy != "" {
			return validatePolicy(ctx, w, o.Policy, s)
		}
		return exitOK, nil
	}
	ws, err := g.enter()
	if err != nil {
		return exitError, err
	}
	_, _, diags := config.Load(".", config.Inputs{Args: g.Vars, Env: os.Environ(), Workspace: ws, Dir: g.base})
	if err := writeJSONDiagnostics(s.Out, diags); err != nil {
		return exitError, err
	}
	if diags.HasErrors() {
		return exitError, errReported
	}
	return exitOK, nil
}

// ValidateResult is the JSON output of validate --json (format_version 1.0).
type ValidateResult struct {
	FormatVersion string           `json:"format_version"`
	Valid         bool             `json:"valid"`
	ErrorCount    int              `json:"error_count"`
	WarningCount  int              `json:"warning_count"`
	Diagnostics   []DiagnosticJSON `json:"diagnostics"`
}

// DiagnosticJSON is one diagnostic in machine-readable form.
type DiagnosticJSON struct {
	Severity string     `json:"severity"` // "error" or "warning"
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *RangeJSON `json:"range,omitempty"`
}

// RangeJSON is a source range: file, and start and end positions.
type RangeJSON struct {
	Filename string  `json:"filename"`
	Start    PosJSON `json:"start"`
	End      PosJSON `json:"end"`
}

// PosJSON is a position in a file: 1-based line and column, 0-based byte.
type PosJSON struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

func rangeJSON(r *hcl.Range) *RangeJSON {
	if r == nil {
		return nil
	}
	pos := func(p hcl.Pos) PosJSON { return PosJSON{Line: p.Line, Column: p.Column, Byte: p.Byte} }
	return &RangeJSON{Filename: r.Filename, Start: pos(r.Start), End: pos(r.End)}
}

// writeJSONDiagnostics writes diags as validate --json does.
func writeJSONDiagnostics(w io.Writer, diags hcl.Diagnostics) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(validateJSON(diags))
}

func validateJSON(diags hcl.Diagnostics) ValidateResult {
	out := ValidateResult{FormatVersion: "1.0", Diagnostics: []DiagnosticJSON{}}
	for _, d := range diags {
		j := DiagnosticJSON{Severity: "error", Summary: d.Summary, Detail: d.Detail, Range: rangeJSON(d.Subject)}
		if d.Severity == hcl.DiagWarning {
			j.Severity = "warning"
			out.WarningCount++
		} else {
			out.ErrorCount++
		}
		out.Diagnostics = append(out.Diagnostics, j)
	}
	out.Valid = out.ErrorCount == 0
	return out
}

// VersionOptions are version's flags.
type VersionOptions struct {
	JSON bool
}

var cmdVersion = &command{
	name: "version", summary: "print the version and the state format",
	desc:     "Prints certform's version and the state format version it writes. --json prints both as a JSON object, for scripts.",
	examples: []string{"certform version", "certform version --json"},
	new:      func() Options { return &VersionOptions{} },
}

// AddFlags adds version's flags.
func (o *VersionOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.JSON, "json", false, "print the version as JSON")
}

// Complete refuses arguments: version takes none.
func (o *VersionOptions) Complete(_ *GlobalOptions, args []string) error {
	return noArgs("version", args)
}

// Validate has nothing to check.
func (o *VersionOptions) Validate() error { return nil }

// VersionJSON is version --json's output.
type VersionJSON struct {
	Version     string `json:"version"`
	StateFormat int    `json:"state_format"`
	GoVersion   string `json:"go_version"`
}

// Run prints the version.
func (o *VersionOptions) Run(_ context.Context, _ *GlobalOptions, s Streams) (int, error) {
	if o.JSON {
		return exitOK, views.WriteJSON(s.Out, VersionJSON{Version: version, StateFormat: statefile.FormatVersion, GoVersion: runtime.Version()})
	}
	fmt.Fprintf(s.Out, "certform %s (state format %d)\n", version, statefile.FormatVersion)
	return exitOK, nil
}

// noArgs refuses arguments to a command that takes none.
func noArgs(name string, args []string) error {
	if len(args) > 0 {
		return withHint(fmt.Errorf("%s takes no arguments, got %q", name, args), "run 'certform "+name+" --help' for its usage")
	}
	return nil
}
