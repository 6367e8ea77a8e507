package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// FuzzConvertCfssl feeds convert cfssl arbitrary CSR JSON (a file someone
// hands over). It must never panic, and what it prints must parse as HCL
// whose common_name and hosts evaluate, with no variables or functions,
// to exactly the strings of the JSON: a "${...}" or "%{...}" in a name is
// text, never a template that runs when the configuration loads.
// Seeds are in testdata/fuzz/FuzzConvertCfssl.
func FuzzConvertCfssl(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		o := &ConvertOptions{SignerName: "example.com/fuzz", Bare: "server", File: "-"}
		code, err := o.Run(context.Background(), &GlobalOptions{}, Streams{In: bytes.NewReader(data), Out: &out, Err: io.Discard})
		if err != nil || code != exitOK {
			return
		}
		var req cfsslRequest
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&req); err != nil {
			t.Fatalf("convert accepted JSON that does not decode: %v", err)
		}
		file, diags := hclsyntax.ParseConfig(out.Bytes(), "converted.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("convert printed HCL that does not parse: %s\n%s", diags, out.Bytes())
		}
		blocks := file.Body.(*hclsyntax.Body).Blocks
		if len(blocks) != 1 || blocks[0].Type != "certificate" {
			t.Fatalf("convert printed %d blocks, want one certificate block:\n%s", len(blocks), out.Bytes())
		}
		attrs := blocks[0].Body.Attributes
		want := map[string]cty.Value{}
		if req.CN != "" {
			want["common_name"] = cty.StringVal(req.CN)
		}
		if len(req.Hosts) > 0 {
			hosts := make([]cty.Value, len(req.Hosts))
			for i, h := range req.Hosts {
				hosts[i] = cty.StringVal(h)
			}
			want["hosts"] = cty.TupleVal(hosts) // a list literal is a tuple

		}
		for name, w := range want {
			a, ok := attrs[name]
			if !ok {
				t.Fatalf("no %s in:\n%s", name, out.Bytes())
			}
			got, diags := a.Expr.Value(nil)
			if diags.HasErrors() || !got.RawEquals(w) {
				t.Fatalf("%s evaluates to %#v (%s), want %#v:\n%s", name, got, diags, w, out.Bytes())
			}
		}
	})
}
