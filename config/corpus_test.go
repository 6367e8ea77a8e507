package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

var marker = regexp.MustCompile(`#\s*(ERROR|WARNING):\s*(.+?)\s*$`)

// expectedDiags reads the "# ERROR: summary" and "# WARNING: summary"
// markers of a fixture as "line:severity:summary" strings.
func expectedDiags(src []byte) []string {
	var want []string
	for i, line := range strings.Split(string(src), "\n") {
		if m := marker.FindStringSubmatch(line); m != nil {
			want = append(want, fmt.Sprintf("%d:%s:%s", i+1, m[1], m[2]))
		}
	}
	slices.Sort(want)
	return want
}

func actualDiags(t *testing.T, diags hcl.Diagnostics) []string {
	t.Helper()
	var got []string
	for _, d := range diags {
		sev := "ERROR"
		if d.Severity == hcl.DiagWarning {
			sev = "WARNING"
		}
		line := 0
		if d.Subject != nil {
			line = d.Subject.Start.Line
		} else {
			t.Errorf("diagnostic without a range: %s: %s", d.Summary, d.Detail)
		}
		if d.Detail == "" {
			t.Errorf("diagnostic without a detail: %s", d.Summary)
		}
		got = append(got, fmt.Sprintf("%d:%s:%s", line, sev, d.Summary))
	}
	slices.Sort(got)
	return got
}

// TestInvalidCorpus loads every invalid fixture and compares the
// diagnostics, by line and summary, with the markers in the file.
func TestInvalidCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.hcl")
	if len(files) < 40 {
		t.Fatalf("only %d invalid fixtures", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".hcl"), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := expectedDiags(src)
			if len(want) == 0 {
				t.Fatal("fixture has no # ERROR marker")
			}
			_, diags := LoadSource(src, filepath.Base(f), "testdata", Inputs{})
			if diff := cmp.Diff(want, actualDiags(t, diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, diags)
			}
		})
	}
}

// TestValidCorpus loads the valid fixtures and every example directory.
func TestValidCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.hcl")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, _ := os.ReadFile(f)
			cfg, diags := LoadSource(src, filepath.Base(f), "testdata", Inputs{})
			if diags.HasErrors() || len(diags) > 0 {
				t.Fatalf("diagnostics: %s", diags)
			}
			if len(cfg.Certificates) == 0 {
				t.Error("no certificates")
			}
		})
	}
	dirs, _ := filepath.Glob("../examples/*")
	if len(dirs) == 0 {
		t.Fatal("no examples")
	}
	for _, dir := range dirs {
		if hcl, _ := filepath.Glob(filepath.Join(dir, "*.hcl")); len(hcl) == 0 {
			continue // not a configuration (examples/approver holds policies, loaded by the approver's tests)
		}
		t.Run("examples/"+filepath.Base(dir), func(t *testing.T) {
			_, _, diags := Load(dir, Inputs{})
			if diags.HasErrors() {
				t.Fatalf("diagnostics: %s", diags)
			}
		})
	}
}
