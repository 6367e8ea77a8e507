package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPlanJSONInvalidConfiguration: plan --json with configuration errors
// prints them on stdout as JSON (as validate --json does), not nothing.
func TestPlanJSONInvalidConfiguration(t *testing.T) {
	dir := writeConfig(t, strings.Replace(clientCert("bad", false), `"client auth"`, `"clientAuth"`, 1))
	for _, args := range [][]string{{"plan", "--json"}, {"plan", "--format=json"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := certform(t, dir, "", args...)
			if r.code != exitError {
				t.Fatalf("want exit %d\n%s", exitError, r)
			}
			var got ValidateResult
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, r)
			}
			if got.Valid || got.ErrorCount == 0 || len(got.Diagnostics) != got.ErrorCount {
				t.Fatalf("want the errors counted and listed\n%s", r)
			}
			d := got.Diagnostics[0]
			if d.Summary != "Unknown usage" || d.Range == nil || d.Range.Filename != "main.hcl" || d.Range.Start.Line != 6 {
				t.Errorf("diagnostic %+v, want Unknown usage at main.hcl:6", d)
			}
			mustContain(t, r, "Error: Unknown usage") // and for a person, on stderr as before
		})
	}
}

// TestMissingInputFileNamesTheOSError: a --var-file or --policy path that
// does not exist says so with the OS's error, not that "the configuration
// file could not be read".
func TestMissingInputFileNamesTheOSError(t *testing.T) {
	dir := writeConfig(t, clientCert("a", false))
	for name, args := range map[string][]string{
		"var-file": {"validate", "--var-file", "staging.tfvars"},
		"policy":   {"approve", "--policy", "no-such-policies", "--dry-run"},
	} {
		t.Run(name, func(t *testing.T) {
			r := certform(t, dir, "", args...)
			if r.code != exitError {
				t.Fatalf("want exit %d\n%s", exitError, r)
			}
			mustContain(t, r, "Cannot read file", "no such file or directory")
			if strings.Contains(r.stderr, "could not be read") {
				t.Errorf("the OS error is dropped\n%s", r)
			}
		})
	}
}
