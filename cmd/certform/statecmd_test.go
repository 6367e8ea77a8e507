package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend/local"
	"github.com/certform/certform/state/statefile"
)

// stateDir is a configuration directory with a local state holding one
// issued certificate at serial 3.
func stateDir(t *testing.T) (dir string, st *state.State) {
	t.Helper()
	dir = writeConfig(t, clientCert("a", false))
	st = state.New()
	st.Serial = 3
	st.Certificates["certificate.a"] = &state.Certificate{Addr: "certificate.a", Status: state.StatusIssued, CSRName: "a-1"}
	writeState(t, filepath.Join(dir, local.DefaultPath), st)
	return dir, st
}

func writeState(t *testing.T, path string, st *state.State) {
	t.Helper()
	data, err := statefile.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestStateArguments: a wrong number of arguments says what the
// subcommand needs, not "unknown state command".
func TestStateArguments(t *testing.T) {
	dir, _ := stateDir(t)
	cases := map[string]struct {
		args  []string
		wants []string
	}{
		"mv with one":    {[]string{"mv", "certificate.a"}, []string{`state mv needs the address to move and its new address (FROM TO), got 1 argument(s)`, "usage: certform state mv FROM TO"}},
		"show with two":  {[]string{"show", "certificate.a", "certificate.b"}, []string{"state show needs the address to show (ADDR), got 2 argument(s)"}},
		"rm with none":   {[]string{"rm"}, []string{"state rm needs one or more addresses to remove (ADDR...), got 0"}},
		"list with one":  {[]string{"list", "certificate.a"}, []string{"state list takes no arguments, got 1: certificate.a"}},
		"push with none": {[]string{"push"}, []string{"state push needs the state file to push (FILE)", "usage: certform state push [--force] FILE"}},
		"unknown":        {[]string{"frob"}, []string{`unknown state command "frob"`, "certform state list | show ADDR"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := certform(t, dir, "", append([]string{"state"}, tc.args...)...)
			if r.code != exitError {
				t.Fatalf("want exit %d\n%s", exitError, r)
			}
			mustContain(t, r, tc.wants...)
		})
	}
}

// TestStatePushSameSerial: pushing what is already there is not "stale",
// and different content at the same serial is named for what it is.
func TestStatePushSameSerial(t *testing.T) {
	dir, st := stateDir(t)
	same := filepath.Join(t.TempDir(), "same.json")
	writeState(t, same, st)
	r := certform(t, dir, "", "state", "push", same)
	if r.code != exitOK {
		t.Fatalf("pushing the current state: want exit 0\n%s", r)
	}
	mustContain(t, r, "is the state in", "already (serial 3); nothing to push")

	changed := st.DeepCopy()
	changed.Certificates["certificate.a"].CSRName = "a-2"
	other := filepath.Join(t.TempDir(), "other.json")
	writeState(t, other, changed)
	r = certform(t, dir, "", "state", "push", other)
	if r.code != exitError {
		t.Fatalf("pushing other content at the same serial: want a refusal\n%s", r)
	}
	mustContain(t, r, "has the same serial 3 as the state in", "both were changed from the same state", "--force")
	if got := certform(t, dir, "", "state", "show", "certificate.a"); !strings.Contains(got.stdout, "a-1") {
		t.Errorf("the refused push changed the state\n%s", got)
	}
}
