package config

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// TestJSONDecode: documents of the plain kind take the fast path, others
// go to go-cty, and both give go-cty's value, type and error.
func TestJSONDecode(t *testing.T) {
	cases := map[string]struct {
		doc  string
		fast bool
	}{
		"object of strings":         {doc: `{"a": "x", "b": "y"}`, fast: true},
		"nested":                    {doc: `{"a": [1, 2.5, -0, 1e3, true, false, null], "b": {"c": {}}, "d": []}`, fast: true},
		"top-level null":            {doc: ` null `, fast: true},
		"big number":                {doc: `123456789012345678901234567890.5e-3`, fast: true},
		"escaped string":            {doc: `{"a": "x\ny"}`},
		"non-ASCII string":          {doc: `{"é": "ü"}`},
		"repeated key, same type":   {doc: `{"a": 1, "a": 2}`},
		"repeated key, other type":  {doc: `{"a": 1, "a": "x"}`},
		"trailing data":             {doc: `{} {}`},
		"trailing comma":            {doc: `[1,]`},
		"leading zero":              {doc: `01`},
		"bare word":                 {doc: `nul`},
		"empty":                     {doc: ``},
		"unterminated":              {doc: `{"a": [1, 2`},
		"deeper than the fast path": {doc: deep(jsonMaxDepth + 2)},
		"as deep as the fast path":  {doc: deep(jsonMaxDepth), fast: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, fast := fastJSON(tc.doc); fast != tc.fast {
				t.Errorf("fast path taken: %v, want %v", fast, tc.fast)
			}
			sameAsCty(t, tc.doc)
		})
	}
}

func deep(n int) string {
	s := "1"
	for range n {
		s = "[" + s + "]"
	}
	return s
}

// sameAsCty fails unless jsondecode gives what go-cty's gives for doc.
func sameAsCty(t *testing.T, doc string) {
	t.Helper()
	arg := []cty.Value{cty.StringVal(doc)}
	want, wantErr := stdlib.JSONDecodeFunc.Call(arg)
	got, err := jsonDecodeFunc.Call(arg)
	switch {
	case (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error():
		t.Fatalf("%q: error %v, go-cty's %v", doc, err, wantErr)
	case err == nil && (!got.Type().Equals(want.Type()) || !got.RawEquals(want)):
		t.Fatalf("%q: %#v, go-cty's %#v", doc, got, want)
	}
}

// FuzzJSONDecode holds jsondecode's fast path to go-cty's result for any
// document (seeds in testdata/fuzz/FuzzJSONDecode).
func FuzzJSONDecode(f *testing.F) {
	for _, s := range []string{`{"a": "x"}`, `[1, -2.5e+3, true, false, null, {}]`, `{"a": {"b": [0]}}`, `"x"`, `{"a":1,"a":2}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if len(doc) > 1<<12 {
			return
		}
		sameAsCty(t, doc)
	})
}
