package statefile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fastCases are states written otherwise than certform writes them, each
// with whether decodeFast should read it itself (or leave it to
// encoding/json).
var fastCases = map[string]struct {
	src  string
	fast bool
}{
	"escapes in keys and values": {`{"version":1,"lineage":"l","serial":3,"certform_version":"a\u0026b\n\/",
		"certificates":{"certificate.x[\"a\\b\"]":{"request":{"common_name":"\u00e9t\u00e9","usages":[]},"status":"issued","key_sha256":"k"}}}`, true},
	"non-ASCII as written":    {`{"version":1,"lineage":"été","certificates":{}}`, true},
	"nulls leave zero":        {`{"version":1,"lineage":"l","serial":null,"certificates":{"a":{"request":{"usages":null,"hosts":null},"status":"issued","not_before":null,"secret":null,"files":null}}}`, true},
	"empty arrays and maps":   {`{"version":3,"lineage":"l","certificates":{"a":{"status":"issued","request":{"hosts":[],"usages":[]},"files":{},"secret":{"namespace":"n","name":"s","sha256":"x","labels":{},"keys":[]},"pending_actions":[]}}}`, true},
	"outputs kept as written": {`{"version":2,"lineage":"l","certificates":{},"outputs":{"a":{"value": { "x" : [1, 2.5e3, -0, true, null, "s"] },"type":"\"string\"","sensitive":true},"b":{"value":null,"type":null,"sensitive":null}}}`, true},
	"bundles and clusters": {`{"version":4,"lineage":"l","certificates":{"a":{"status":"issued","cluster":{"name":"east","uid":"u","server":"https://e"}}},
		"ca_bundles":{"ca_bundle.b":{"targets":{"configmap:n/x":{"kind":"configmap","namespace":"n","name":"x","key":"ca.crt","fingerprints":null}},"cluster":{"uid":"u"}}}}`, true},
	"times":                   {`{"version":1,"lineage":"l","certificates":{"a":{"status":"issued","not_before":"2026-01-02T03:04:05Z","not_after":"2026-01-02T03:04:05.5+01:00"}}}`, true},
	"whitespace around":       {" \n\t{\"version\":1,\"lineage\":\"l\",\"certificates\":{}}\r\n ", true},
	"key in another case":     {`{"Version":1,"lineage":"l","certificates":{}}`, false},
	"key twice":               {`{"version":1,"version":2,"lineage":"l","certificates":{}}`, false},
	"map key twice":           {`{"version":1,"lineage":"l","certificates":{"a":{"status":"issued"},"a":{"status":"pending"}}}`, false},
	"null certificate":        {`{"version":1,"lineage":"l","certificates":{"a":null}}`, false},
	"null in an array":        {`{"version":1,"lineage":"l","certificates":{"a":{"status":"issued","request":{"hosts":[null]}}}}`, false},
	"unknown field":           {`{"version":1,"lineage":"l","certificates":{"a":{"status":"issued","private_key":"x"}}}`, false},
	"fraction in an integer":  {`{"version":1.0,"lineage":"l","certificates":{}}`, false},
	"exponent in an integer":  {`{"version":1e0,"lineage":"l","certificates":{}}`, false},
	"leading zero":            {`{"version":01,"lineage":"l","certificates":{}}`, false},
	"negative serial":         {`{"version":1,"serial":-1,"lineage":"l","certificates":{}}`, false},
	"int32 overflow":          {`{"version":1,"lineage":"l","certificates":{"a":{"status":"issued","request":{"expiration_seconds":2147483648}}}}`, false},
	"surrogate pair":          {`{"version":1,"lineage":"\ud83d\ude00","certificates":{}}`, false},
	"lone surrogate":          {`{"version":1,"lineage":"\ud83d","certificates":{}}`, false},
	"invalid UTF-8":           {"{\"version\":1,\"lineage\":\"\xff\",\"certificates\":{}}", false},
	"control character":       {"{\"version\":1,\"lineage\":\"a\tb\",\"certificates\":{}}", false},
	"bad escape":              {`{"version":1,"lineage":"\x","certificates":{}}`, false},
	"bad escape in an output": {`{"version":2,"lineage":"l","certificates":{},"outputs":{"a":{"value":"\q","type":"\"string\""}}}`, false},
	"bad \\u in an output":    {`{"version":2,"lineage":"l","certificates":{},"outputs":{"a":{"value":["\u12G4"],"type":"\"string\""}}}`, false},
	"string for a number":     {`{"version":"1","lineage":"l","certificates":{}}`, false},
	"bad time":                {`{"version":1,"lineage":"l","certificates":{"a":{"status":"issued","not_before":"yesterday"}}}`, false},
	"trailing data":           {`{"version":1,"lineage":"l","certificates":{}} {}`, false},
	"trailing Unicode space":  {"{\"version\":1,\"lineage\":\"l\",\"certificates\":{}}\v", false},
	"truncated":               {`{"version":1,"lineage":"l","certificates":{"a":{"sta`, false},
	"not an object":           {`[1]`, false},
	"byte order mark":         {"\xef\xbb\xbf{\"version\":1,\"lineage\":\"l\",\"certificates\":{}}", false},
	"literal run on":          {`{"version":1,"lineage":"l","certificates":{},"outputs":{"a":{"value":nullx}}}`, false},
	"deep value":              {`{"version":2,"lineage":"l","certificates":{},"outputs":{"a":{"value":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}}}`, false},
}

// TestDecodeFastIsEncodingJSON wants decodeFast to read every state it
// reads itself to exactly what encoding/json reads (nil and empty told
// apart), and to read the fixtures of the form certform writes itself.
func TestDecodeFastIsEncodingJSON(t *testing.T) {
	for name, tc := range fastCases {
		t.Run(name, func(t *testing.T) {
			if fast := checkFast(t, []byte(tc.src)); fast != tc.fast {
				t.Errorf("decodeFast read it: %v, want %v", fast, tc.fast)
			}
		})
	}
	for _, glob := range []string{"testdata/roundtrip/*.json", "testdata/compat/*.json", "testdata/invalid/*.json"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			t.Run(f, func(t *testing.T) {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				fast := checkFast(t, data)
				if !fast && !strings.Contains(f, "invalid") {
					t.Errorf("decodeFast left %s to encoding/json", f)
				}
			})
		}
	}
}

// FuzzDecodeFast wants decodeFast, whatever it is given, either to leave
// it to encoding/json or to read it exactly as encoding/json does.
func FuzzDecodeFast(f *testing.F) {
	for _, tc := range fastCases {
		f.Add([]byte(tc.src))
	}
	for _, glob := range []string{"testdata/roundtrip/*.json", "testdata/invalid/*.json"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			data, _ := os.ReadFile(file)
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkFast(t, data) })
}

// checkFast reports whether decodeFast read data itself, failing t when
// what it read differs from encoding/json's reading.
func checkFast(t *testing.T, data []byte) bool {
	t.Helper()
	got, ok := decodeFast(data)
	if !ok {
		return false
	}
	want, err := decodeJSON(data)
	if err != nil {
		t.Fatalf("decodeFast read what encoding/json refuses (%v):\n%q", err, data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeFast read\n%#v\nencoding/json read\n%#v\nfrom %q", got, want, data)
	}
	return true
}
