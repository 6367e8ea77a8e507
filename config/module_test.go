package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/certform/certform/state"
)

// writeTree writes files (path relative to a new temporary directory →
// content) and returns the directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// serviceCert is a module like examples/modules: one certificate with a
// Secret and files, and outputs.
const serviceCert = `variable "name" {
  type = string
}
variable "namespace" {
  type    = string
  default = "default"
}
locals {
  host = "${var.name}.${var.namespace}.svc"
}
certificate "tls" {
  common_name = local.host
  hosts       = [local.host]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/${var.namespace}/${var.name}.key"
    cert_file = "out/${var.namespace}/${var.name}.crt"
  }
  secret {
    namespace = var.namespace
    name      = "${var.name}-tls"
  }
}
output "cert_file" {
  value = certificate.tls.cert_file
}
output "secret" {
  value       = "${certificate.tls.secret_namespace}/${certificate.tls.secret_name}"
  description = "the Secret holding the key"
}
output "not_after" {
  value = certificate.tls.not_after
}
output "dir" {
  value = path.module
}
`

func TestModules(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.hcl": `
module "team" {
  for_each  = { a = "team-a", b = "team-b" }
  source    = "./modules/service-cert"
  name      = "web-${each.key}"
  namespace = each.value
}
module "single" {
  source = "./modules/service-cert"
  name   = local.single
}
locals {
  single = "single"
  file   = module.single.cert_file
}
output "single_file" {
  value = local.file
}
output "files" {
  value = { for k, m in module.team : k => m.cert_file }
}
output "single_secret" {
  value     = module.single.secret
  sensitive = true
}
`,
		"modules/service-cert/main.hcl": serviceCert,
	})
	cfg, _, diags := Load(dir, Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var addrs []string
	for _, c := range cfg.Certificates {
		addrs = append(addrs, c.Addr)
	}
	want := []string{`module.single.certificate.tls`, `module.team["a"].certificate.tls`, `module.team["b"].certificate.tls`}
	if diff := cmp.Diff(want, addrs); diff != "" {
		t.Fatalf("addresses (-want +got):\n%s", diff)
	}
	if c := cfg.Certificates[1]; c.Request.Subject.CommonName != "web-a.team-a.svc" || c.Output.KeyFile != "out/team-a/web-a.key" || c.Secret.Name != "web-a-tls" {
		t.Errorf("module instance a decoded as %+v", c)
	}
	if r := cfg.Certificates[1].Range("common_name"); !strings.HasSuffix(r.Filename, filepath.Join("modules", "service-cert", "main.hcl")) || r.Start.Line != 12 {
		t.Errorf("common_name range %s does not point into the module", r)
	}
	got := map[string]string{}
	for _, o := range cfg.OutputValues {
		got[o.Name] = fmt.Sprintf("%#v sensitive=%v", o.Value, o.Sensitive)
	}
	wantOut := map[string]string{
		"files":         fmt.Sprintf("%#v sensitive=false", cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("out/team-a/web-a.crt"), "b": cty.StringVal("out/team-b/web-b.crt")})),
		"single_secret": fmt.Sprintf("%#v sensitive=true", cty.StringVal("default/single-tls")),
		"single_file":   fmt.Sprintf("%#v sensitive=false", cty.StringVal("out/default/single.crt")),
	}
	if diff := cmp.Diff(wantOut, got); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
}

// TestModuleNested: modules call modules; addresses nest and path.module
// is each module's own directory.
func TestModuleNested(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.hcl": `
module "outer" {
  source = "./modules/outer"
}
output "dir" {
  value = module.outer.inner_dir
}
`,
		"modules/outer/main.hcl": `
module "inner" {
  for_each = toset(["x"])
  source   = "../service-cert"
  name     = "in-${each.key}"
}
output "inner_dir" {
  value = module.inner["x"].dir
}
`,
		"modules/service-cert/main.hcl": serviceCert,
	})
	cfg, _, diags := Load(dir, Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(cfg.Certificates) != 1 || cfg.Certificates[0].Addr != `module.outer.module.inner["x"].certificate.tls` {
		t.Fatalf("certificates: %v", cfg.Certificates)
	}
	if v := cfg.OutputValues[0].Value; !v.RawEquals(cty.StringVal("modules/service-cert")) {
		t.Errorf("path.module = %#v", v)
	}
}

// TestModuleDiagnostics: mistakes in module calls and in modules are
// diagnostics at the file, line and column responsible, in the calling
// configuration or in the module's own files.
func TestModuleDiagnostics(t *testing.T) {
	call := func(args string) string {
		return "module \"web\" {\n  source = \"./modules/service-cert\"\n" + args + "}\n"
	}
	mod := map[string]string{"modules/service-cert/main.hcl": serviceCert}
	tests := map[string]struct {
		files map[string]string
		want  []string // file:line:col: summary
	}{
		"registry source": {
			files: map[string]string{"main.hcl": "module \"web\" {\n  source = \"terraform-aws-modules/acm/aws\"\n}\n"},
			want:  []string{"main.hcl:2:12: Unsupported module source"},
		},
		"git source": {
			files: map[string]string{"main.hcl": "module \"web\" {\n  source = \"git::https://example.com/m.git\"\n}\n"},
			want:  []string{"main.hcl:2:12: Unsupported module source"},
		},
		"source not literal": {
			files: map[string]string{"main.hcl": "variable \"s\" {\n  default = \"./m\"\n}\nmodule \"web\" {\n  source = var.s\n}\n"},
			want:  []string{"main.hcl:5:12: Invalid module source"},
		},
		"missing directory": {
			files: map[string]string{"main.hcl": "module \"web\" {\n  source = \"./nowhere\"\n}\n"},
			want:  []string{"main.hcl:2:12: Cannot read module"},
		},
		"missing required argument": {
			files: merge(mod, map[string]string{"main.hcl": call("")}),
			want:  []string{"main.hcl:1:1: Missing required module argument"},
		},
		"unknown argument": {
			files: merge(mod, map[string]string{"main.hcl": call("  name = \"web\"\n  namespce = \"x\"\n")}),
			want:  []string{"main.hcl:4:3: Unsupported module argument"},
		},
		"count": {
			files: merge(mod, map[string]string{"main.hcl": call("  name = \"web\"\n  count = 2\n")}),
			want:  []string{"main.hcl:4:3: Unsupported module argument"},
		},
		"module calls its own directory": {
			files: map[string]string{"main.hcl": "module \"me\" {\n  source = \"./\"\n}\n"},
			want:  []string{"main.hcl:2:12: Module calls itself"},
		},
		"argument of the wrong type": {
			files: merge(mod, map[string]string{"main.hcl": call("  name = [\"web\"]\n")}),
			want:  []string{"main.hcl:3:10: Invalid value for module argument"},
		},
		"error inside the module": {
			files: map[string]string{
				"main.hcl": call("  name = \"web\"\n"),
				"modules/service-cert/main.hcl": strings.Replace(serviceCert, `signer_name = "example.com/serving"`,
					"signer_name = \"example.com/serving\"\n  expiration_seconds = 60", 1),
			},
			want: []string{"modules/service-cert/main.hcl:15:3: Invalid expiration_seconds"},
		},
		"same error in every instance, once": {
			files: map[string]string{
				"main.hcl": "module \"web\" {\n  for_each = toset([\"a\", \"b\"])\n  source = \"./modules/service-cert\"\n  name = each.key\n}\n",
				"modules/service-cert/main.hcl": strings.Replace(serviceCert, `signer_name = "example.com/serving"`,
					"signer_name = \"example.com/serving\"\n  expiration_seconds = 60", 1),
			},
			want: []string{"modules/service-cert/main.hcl:15:3: Invalid expiration_seconds"},
		},
		"kubernetes block in a module": {
			files: map[string]string{"main.hcl": call("  name = \"web\"\n"), "modules/service-cert/main.hcl": serviceCert + "kubernetes {\n  context = \"x\"\n}\n"},
			want:  []string{"modules/service-cert/main.hcl:37:1: Settings block in a module"},
		},
		"moved block in a module": {
			files: map[string]string{"main.hcl": call("  name = \"web\"\n"), "modules/service-cert/main.hcl": serviceCert + "moved {\n  from = certificate.old\n  to   = certificate.tls\n}\n"},
			want:  []string{"modules/service-cert/main.hcl:37:1: Refactoring block in a module"},
		},
		"module calls itself": {
			files: map[string]string{"main.hcl": "module \"loop\" {\n  source = \"./m\"\n}\n", "m/main.hcl": "module \"again\" {\n  source = \"../m\"\n}\n"},
			want:  []string{"m/main.hcl:2:12: Module calls itself"},
		},
		"Secret twice across instances": {
			files: merge(mod, map[string]string{"main.hcl": "module \"web\" {\n  for_each = toset([\"a\", \"b\"])\n  source = \"./modules/service-cert\"\n  name = \"web\"\n  namespace = \"ns-${each.key}\"\n}\n" +
				"module \"other\" {\n  source = \"./modules/service-cert\"\n  name = \"web\"\n  namespace = \"ns-a\"\n}\n"}),
			want: []string{"modules/service-cert/main.hcl:16:5: Output path used twice", "modules/service-cert/main.hcl:17:5: Output path used twice",
				"modules/service-cert/main.hcl:21:5: Secret used twice"},
		},
		"Secret name from an argument": {
			files: merge(mod, map[string]string{"main.hcl": call("  name = \"Web_App\"\n  namespace = \"Team-A\"\n")}),
			want: []string{"modules/service-cert/main.hcl:13:3: Invalid host", "modules/service-cert/main.hcl:20:5: Invalid namespace",
				"modules/service-cert/main.hcl:21:5: Invalid Secret name"},
		},
		"file twice across instances": {
			files: merge(mod, map[string]string{"main.hcl": "module \"web\" {\n  for_each = toset([\"a\", \"b\"])\n  source = \"./modules/service-cert\"\n  name = \"web\"\n  namespace = \"ns\"\n}\n"}),
			want: []string{"modules/service-cert/main.hcl:16:5: Output path used twice", "modules/service-cert/main.hcl:17:5: Output path used twice",
				"modules/service-cert/main.hcl:21:5: Secret used twice"},
		},
		"output with a private key": {
			files: map[string]string{"main.hcl": "output \"k\" {\n  value = file(\"k.pem\")\n}\n", "k.pem": "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"},
			want:  []string{"main.hcl:2:11: Output holds a private key"},
		},
		"local uses a certificate": {
			files: merge(mod, map[string]string{"main.hcl": call("  name = \"web\"\n") + "locals {\n  f = certificate.x.cert_file\n}\n"}),
			want:  []string{"main.hcl:6:7: Local value uses certificate.NAME"},
		},
		"cycle through a local": {
			files: merge(mod, map[string]string{"main.hcl": call("  name = local.n\n") + "locals {\n  n = module.web.dir\n}\n"}),
			want:  []string{"main.hcl:6:3: Cycle in local values and module calls"},
		},
		"applied attribute in a module argument": {
			files: merge(mod, map[string]string{"main.hcl": call("  name = \"web\"\n") + "module \"two\" {\n  source = \"./modules/service-cert\"\n  name = module.web.not_after\n}\n"}),
			want:  []string{"main.hcl:7:10: Module argument not known"},
		},
		"applied attribute in a certificate": {
			files: merge(mod, map[string]string{"main.hcl": call("  name = \"web\"\n") + "certificate \"x\" {\n  common_name = module.web.not_after\n  signer_name = \"example.com/x\"\n  secret {\n    namespace = \"a\"\n    name = \"b\"\n  }\n}\n"}),
			want:  []string{"main.hcl:6:17: Value not known before apply"},
		},
		"cycle between module calls": {
			files: merge(mod, map[string]string{"main.hcl": "module \"a\" {\n  source = \"./modules/service-cert\"\n  name = module.b.dir\n}\nmodule \"b\" {\n  source = \"./modules/service-cert\"\n  name = module.a.dir\n}\n"}),
			want:  []string{"main.hcl:1:1: Cycle in module calls"},
		},
		"duplicate module": {
			files: merge(mod, map[string]string{"main.hcl": call("  name = \"a\"\n") + call("  name = \"b\"\n")}),
			want:  []string{"main.hcl:5:1: Duplicate module \"web\" block"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := writeTree(t, tc.files)
			_, _, diags := Load(dir, Inputs{})
			if diff := cmp.Diff(tc.want, where(dir, diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, diags)
			}
		})
	}
}

// TestModuleDepth: a chain of modules deeper than the bound is an error at
// the call that goes too deep, not a stack overflow.
func TestModuleDepth(t *testing.T) {
	files := map[string]string{"main.hcl": "module \"m\" {\n  source = \"./m\"\n}\n"}
	p := "m"
	for range 20 {
		files[p+"/main.hcl"] = "module \"m\" {\n  source = \"./m\"\n}\n"
		p += "/m"
	}
	files[p+"/main.hcl"] = "locals {}\n"
	_, _, diags := Load(writeTree(t, files), Inputs{})
	if len(diags) != 1 || diags[0].Summary != "Modules nested too deeply" || !strings.Contains(diags[0].Detail, "certform allows 16") {
		t.Fatalf("diagnostics: %v", diags)
	}
}

func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// where renders diagnostics as file:line:col: summary, files relative to dir.
func where(dir string, diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		if d.Subject == nil {
			out = append(out, "?: "+d.Summary)
			continue
		}
		rel, err := filepath.Rel(dir, d.Subject.Filename)
		if err != nil {
			rel = d.Subject.Filename
		}
		out = append(out, fmt.Sprintf("%s:%d:%d: %s", filepath.ToSlash(rel), d.Subject.Start.Line, d.Subject.Start.Column, d.Summary))
	}
	slices.Sort(out)
	return out
}

// TestOutputValuesAfterApply: attributes known only after apply are
// unknown while planning (the output is pending) and come from state when
// outputs are evaluated after apply, through a module output too.
func TestOutputValuesAfterApply(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.hcl": `
module "web" {
  source = "./modules/service-cert"
  name   = "web"
}
output "expiry" {
  value = module.web.not_after
}
output "file" {
  value = module.web.cert_file
}
`,
		"modules/service-cert/main.hcl": serviceCert,
	})
	cfg, _, diags := Load(dir, Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	records, pending, err := OutputRecords(cfg)
	if err != nil || !slices.Equal(pending, []string{"expiry"}) || string(records["file"].Value) != `"out/default/web.crt"` {
		t.Fatalf("before apply: records %v, pending %v, %v", records, pending, err)
	}
	st := state.New()
	notAfter := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	st.Certificates["module.web.certificate.tls"] = &state.Certificate{Addr: "module.web.certificate.tls", Status: state.StatusIssued,
		SerialNumber: "1f", NotAfter: notAfter, KeySHA256: "ab"}
	// As after apply: the values of the first load, no input read again
	// (this var file would be an error if it were).
	cfg, _, diags = Load(dir, Inputs{State: st, Values: cfg.Values, Args: []VarArg{{File: true, Value: filepath.Join(dir, "gone.tfvars")}}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	records, pending, err = OutputRecords(cfg)
	if err != nil || len(pending) != 0 || string(records["expiry"].Value) != `"2027-01-02T03:04:05Z"` || string(records["expiry"].Type) != `"string"` {
		t.Fatalf("after apply: records %v, pending %v, %v", records, pending, err)
	}
	v, err := OutputValueOf(records["expiry"])
	if err != nil || !v.RawEquals(cty.StringVal("2027-01-02T03:04:05Z")) {
		t.Fatalf("read back: %#v, %v", v, err)
	}
}
