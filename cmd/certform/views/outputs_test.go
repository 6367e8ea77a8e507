package views

import (
	"bytes"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// TestRenderOutputRaw: --raw prints strings, numbers and bools bare, and
// refuses the rest naming the type in plain English.
func TestRenderOutputRaw(t *testing.T) {
	tests := map[string]struct {
		value   cty.Value
		want    string
		wantErr string
	}{
		"string": {value: cty.StringVal("out/web.crt"), want: "out/web.crt"},
		"number": {value: cty.NumberIntVal(3), want: "3"},
		"bool":   {value: cty.True, want: "true"},
		"null":   {value: cty.NullVal(cty.String), wantErr: `output "o" is null; --raw prints only strings, numbers and bools`},
		"object": {value: cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("b")}),
			wantErr: `output "o" has type object; --raw prints only strings, numbers and bools: use --json`},
		"list": {value: cty.ListVal([]cty.Value{cty.StringVal("b")}),
			wantErr: `output "o" has type list of string; --raw prints only strings, numbers and bools: use --json`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := RenderOutputRaw(&out, Output{Name: "o", Value: tt.value})
			switch {
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Errorf("error %v, want %q", err, tt.wantErr)
			case tt.wantErr == "" && (err != nil || out.String() != tt.want):
				t.Errorf("printed %q (error %v), want %q", out.String(), err, tt.want)
			}
		})
	}
}
