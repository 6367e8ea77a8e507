package statefile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func init() { Version = "test" }

func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/roundtrip/*.json")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Encode(s)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != string(data) {
				t.Errorf("re-encoding differs:\n%s\nwant:\n%s", out, data)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	want := map[string]string{
		"bad-mode.json":             `has mode "0999"`,
		"bad-role.json":             `unknown role "bundle"`,
		"cluster-in-version-3.json": "version 3 holds fields of version 4 (cluster)",
		"empty-lineage.json":        "empty lineage",
		"newer-version.json":        "unsupported state version 5",
		"no-version.json":           "no version field",
		"outputs-in-version-1.json": `unknown field "outputs"`,
		"trailing-data.json":        "not valid JSON",
		"truncated.json":            "not valid JSON",
		"unknown-field.json":        `unknown field "private_key"`,
		"unknown-status.json":       `unknown status "weird"`,
	}
	files, _ := filepath.Glob("testdata/invalid/*.json")
	if len(files) != len(want) {
		t.Errorf("%d fixtures, %d expectations", len(files), len(want))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, _ := os.ReadFile(f)
			_, err := Decode(data)
			if err == nil || !strings.Contains(err.Error(), want[name]) {
				t.Errorf("err = %v, want one containing %q", err, want[name])
			}
		})
	}
}
