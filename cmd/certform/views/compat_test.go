package views

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/certform/certform/plan"
	"github.com/certform/certform/state/statefile"
)

// TestPlanJSONCompat: plan --json of a saved plan renders as an earlier
// certform rendered it (testdata/compat, written at format 1.1 before the
// document got wire types of its own), byte for byte but for the version:
// later minor versions only add fields, which a 1.1 plan does not use.
func TestPlanJSONCompat(t *testing.T) {
	defer func(v string) { statefile.Version = v }(statefile.Version)
	statefile.Version = "0.9.0"
	for saved, golden := range map[string]string{
		"../../../plan/testdata/compat/saved-v1-everything.plan": "testdata/compat/plan-v1.1-everything.json",
		"../../../plan/testdata/compat/saved-v2-everything.plan": "testdata/compat/plan-v1.1-everything.json",
	} {
		t.Run(saved, func(t *testing.T) {
			data, err := os.ReadFile(saved)
			if err != nil {
				t.Fatal(err)
			}
			s, err := plan.DecodeFile(data)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := WriteJSON(&got, NewPlanJSON(s.Plan)); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(PlanJSONFormatVersion, "1.") {
				t.Fatalf("format %s is a new major version: keep a 1.x golden beside it", PlanJSONFormatVersion)
			}
			want = bytes.Replace(want, []byte(`"format_version": "1.1"`),
				[]byte(`"format_version": "`+PlanJSONFormatVersion+`"`), 1)
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("plan --json differs from %s:\n%s", golden, got.Bytes())
			}
		})
	}
}
