package config

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestDecodeStructIsGohcl decodes bodies, valid and not, into this
// package's raw types both with decodeStruct and with gohcl.DecodeBody, and
// wants the same values and the same diagnostics (as a set: gohcl visits
// attributes in map order).
func TestDecodeStructIsGohcl(t *testing.T) {
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal("a")})}}
	cases := map[string]struct {
		target func() any
		src    string
	}{
		"certificate, every block": {func() any { return &rawCertificate{} }, `
common_name = "${each.key}.example"
hosts       = ["${each.key}.example", "10.0.0.1"]
signer_name = "example.com/serving"
expiration_seconds = 3600
subject { organization = ["o"] }
key {
  algorithm = "rsa"
  size      = 3072
}
output {
  key_file  = "out/${each.key}.key"
  cert_file = "out/a.crt"
}
secret {
  namespace = "default"
  name      = "a"
}
`},
		"certificate, no blocks":    {func() any { return &rawCertificate{} }, `signer_name = "x"`},
		"cluster reference":         {func() any { return &rawCertificate{} }, "signer_name = \"x\"\ncluster = kubernetes.east"},
		"missing required argument": {func() any { return &rawCertificate{} }, `common_name = "a"`},
		"unsupported argument":      {func() any { return &rawCertificate{} }, `signer_name = "x"` + "\n" + `colour = "blue"`},
		"duplicate block":           {func() any { return &rawCertificate{} }, "signer_name = \"x\"\nkey {}\nkey {}"},
		"wrong type":                {func() any { return &rawCertificate{} }, `signer_name = ["x"]` + "\n" + `expiration_seconds = "soon"`},
		"unknown variable":          {func() any { return &rawCertificate{} }, `signer_name = nope.x`},
		"error inside a block":      {func() any { return &rawCertificate{} }, "signer_name = \"x\"\noutput {\n  key_file = 1\n}"},
		"ca bundle, many sources": {func() any { return &rawCABundle{} }, `
source { file = "ca.pem" }
source {
  configmap {
    namespace = "kube-system"
    name      = "root"
  }
}
configmap {
  namespaces = ["a", "b"]
  name       = "bundle"
}
`},
		"ca bundle, bad source": {func() any { return &rawCABundle{} }, "source {\n  file = true\n  bogus = 1\n}"},
		"required block missing": {func() any {
			return &struct {
				B rawKey `hcl:"b,block"`
			}{}
		}, ``},
		"required block present": {func() any {
			return &struct {
				B rawKey `hcl:"b,block"`
			}{}
		}, "b { size = 1 }"},
		"labelled blocks (gohcl)": {func() any { return &labelled{} }, "item \"x\" { size = 2 }\nitem \"y\" {}"},
		"kubernetes settings":     {func() any { return &rawKubernetes{} }, `context = "kind"`},
		"lifecycle":               {func() any { return &rawLifecycle{} }, `destroy = false`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			file, diags := hclsyntax.ParseConfig([]byte(tc.src), "test.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			got, want := tc.target(), tc.target()
			gotDiags := decodeStruct(file.Body, ctx, got)
			wantDiags := gohcl.DecodeBody(file.Body, ctx, want)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmp.Exporter(func(reflect.Type) bool { return true })); diff != "" {
				t.Errorf("value (-gohcl +decodeStruct):\n%s", diff)
			}
			if diff := cmp.Diff(diagSet(wantDiags), diagSet(gotDiags)); diff != "" {
				t.Errorf("diagnostics (-gohcl +decodeStruct):\n%s", diff)
			}
			// as one instance after another of a for_each: the body's
			// content from the cache from the second on
			var cc contentCache
			for i := range 3 {
				got := tc.target()
				gotDiags := decodeStructIn(&cc, file.Body, ctx, got)
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmp.Exporter(func(reflect.Type) bool { return true })); diff != "" {
					t.Errorf("instance %d: value (-gohcl +decodeStructIn):\n%s", i, diff)
				}
				if diff := cmp.Diff(diagSet(wantDiags), diagSet(gotDiags)); diff != "" {
					t.Errorf("instance %d: diagnostics (-gohcl +decodeStructIn):\n%s", i, diff)
				}
			}
		})
	}
}

// TestShapesDecodeWithoutGohcl wants the types decoded once per instance
// of a for_each decoded by decodeStruct itself, not handed to gohcl: a
// field of a kind it did not know (an hcl.Expression, once) sent every
// certificate back to gohcl's reflection, two thirds of a large
// configuration's load.
func TestShapesDecodeWithoutGohcl(t *testing.T) {
	for name, v := range map[string]any{
		"certificate": rawCertificate{}, "ca_bundle": rawCABundle{},
		"kubernetes": rawKubernetes{}, "lifecycle": rawLifecycle{},
	} {
		if !shapeOf(reflect.TypeOf(v)).ok {
			t.Errorf("%s (%T) is decoded by gohcl", name, v)
		}
	}
}

// labelled has a label tag, which decodeStruct leaves to gohcl.
type labelled struct {
	Items []struct {
		Name string `hcl:"name,label"`
		Size int    `hcl:"size,optional"`
	} `hcl:"item,block"`
}

func diagSet(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, fmt.Sprintf("%v %s: %s at %v", d.Severity, d.Summary, d.Detail, d.Subject))
	}
	slices.Sort(out)
	return out
}
