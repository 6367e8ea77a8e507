package views

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRenderListDiff: lists change element by element, in order.
func TestRenderListDiff(t *testing.T) {
	many := make([]string, 1100)
	for i := range many {
		many[i] = fmt.Sprintf("%q", fmt.Sprintf("h%d.example", i))
	}
	tests := map[string]struct {
		before, after []string
		want          string
	}{
		"added at the end": {before: []string{`"a"`}, after: []string{`"a"`, `"b"`},
			want: "            \"a\",\n          + \"b\",\n"},
		"replaced in the middle": {before: []string{`"a"`, `"x"`, `"c"`}, after: []string{`"a"`, `"y"`, `"c"`},
			want: "            \"a\",\n          - \"x\",\n          + \"y\",\n            \"c\",\n"},
		"removed first": {before: []string{`"a"`, `"b"`}, after: []string{`"b"`},
			want: "          - \"a\",\n            \"b\",\n"},
		"reordered": {before: []string{`"a"`, `"b"`}, after: []string{`"b"`, `"a"`},
			want: "          - \"a\",\n            \"b\",\n          + \"a\",\n"},
		"too long for the table: removed first, then the list": {before: many, after: append(many[1:len(many):len(many)], `"new"`),
			want: "          - " + many[0] + ",\n" + "            " + strings.Join(many[1:], ",\n            ") + ",\n          + \"new\",\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			renderListDiff(&out, tc.before, tc.after, Colorizer{})
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
