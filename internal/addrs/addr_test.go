package addrs

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	web := Step{Name: "web"}
	webA := Step{Name: "web", Key: "a.b", HasKey: true}
	tests := map[string]struct {
		in      string
		want    Addr
		wantErr string
	}{
		"root certificate":    {in: "certificate.web", want: Addr{Kind: Certificate, Name: "web"}},
		"root instance":       {in: `certificate.pod["a.b"]`, want: Addr{Kind: Certificate, Name: "pod", Key: "a.b", HasKey: true}},
		"module certificate":  {in: "module.web.certificate.tls", want: Addr{Module: ModuleOf(web), Kind: Certificate, Name: "tls"}},
		"keyed module":        {in: `module.web["a.b"].certificate.tls`, want: Addr{Module: ModuleOf(webA), Kind: Certificate, Name: "tls"}},
		"nested modules":      {in: `module.web["a.b"].module.web.ca_bundle.ca["x"]`, want: Addr{Module: ModuleOf(webA, web), Kind: CABundle, Name: "ca", Key: "x", HasKey: true}},
		"key with dot quote":  {in: `module.web["a.\"b"].certificate.tls`, want: Addr{Module: ModuleOf(Step{Name: "web", Key: `a."b`, HasKey: true}), Kind: Certificate, Name: "tls"}},
		"module only":         {in: "module.web", wantErr: "followed by certificate."},
		"module bad key":      {in: "module.web[a].certificate.tls", wantErr: "quoted string"},
		"module bad name":     {in: "module.9.certificate.tls", wantErr: "is not a block name"},
		"module garbage":      {in: `module.web["a"]x.certificate.tls`, wantErr: "must end with ]"},
		"unknown kind":        {in: "module.web.cert.tls", wantErr: "must start with certificate."},
		"unknown root kind":   {in: "cert.web", wantErr: "must start with certificate."},
		"unquoted key":        {in: "certificate.pod[a]", wantErr: "must be a quoted string"},
		"non-canonical quote": {in: `module.web["\x61"].certificate.tls`, wantErr: "double-quoted string"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if got.String() != tc.in {
				t.Fatalf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestParseModule(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    Module
		wantErr string
	}{
		"one":         {in: "module.web", want: ModuleOf(Step{Name: "web"})},
		"keyed":       {in: `module.web["a"]`, want: ModuleOf(Step{Name: "web", Key: "a", HasKey: true})},
		"nested":      {in: `module.web["a"].module.db`, want: ModuleOf(Step{Name: "web", Key: "a", HasKey: true}, Step{Name: "db"})},
		"certificate": {in: "module.web.certificate.tls", wantErr: "must be module.NAME"},
		"empty":       {in: "", wantErr: "must be module.NAME"},
		"bad key":     {in: "module.web[a]", wantErr: "quoted string"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseModule(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %v, want %v", got.Steps(), tc.want.Steps())
			}
		})
	}
}

func TestModuleContains(t *testing.T) {
	web, _ := ParseModule(`module.web["a"]`)
	inner, _ := ParseModule(`module.web["a"].module.db`)
	other, _ := ParseModule(`module.web["b"]`)
	if !web.Contains(inner) || !web.Contains(web) || web.Contains(other) || inner.Contains(web) {
		t.Fatal("Contains is wrong")
	}
	if a := (Addr{Module: inner, Kind: Certificate, Name: "x"}); a.Block() != `module.web["a"].module.db.certificate.x` {
		t.Fatalf("Block() = %s", a.Block())
	}
}

func TestModuleSelects(t *testing.T) {
	tests := map[string]struct {
		target, module string
		want           bool
	}{
		"same":                {target: "module.web", module: "module.web", want: true},
		"all instances":       {target: "module.web", module: `module.web["a"]`, want: true},
		"nested under":        {target: "module.web", module: `module.web["a"].module.db`, want: true},
		"one instance":        {target: `module.web["a"]`, module: `module.web["a"].module.db`, want: true},
		"other instance":      {target: `module.web["a"]`, module: `module.web["b"]`},
		"keyed target, plain": {target: `module.web["a"]`, module: "module.web"},
		"other module":        {target: "module.web", module: "module.webs"},
		"deeper target":       {target: "module.web.module.db", module: "module.web"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			target, err := ParseModule(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseModule(tc.module)
			if err != nil {
				t.Fatal(err)
			}
			if got := target.Selects(m); got != tc.want {
				t.Fatalf("Selects = %v, want %v", got, tc.want)
			}
		})
	}
}
