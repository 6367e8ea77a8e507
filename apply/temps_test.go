package apply

import "testing"

func TestTempBase(t *testing.T) {
	cases := map[string]string{
		".web.key.tmp-4242":        "web.key",
		".a.tmp-1.tmp-5":           "a.tmp-1",
		".web.key.tmp-":            "",
		".web.key.tmp-42x":         "",
		"web.key.tmp-1":            "",
		".tmp-1":                   "",
		"web.key":                  "",
		"..hidden.crt.tmp-99":      ".hidden.crt",
		".web.key.tmp-1.tmp-":      "",
		".web.key.tmp-12.tmp-34":   "web.key.tmp-12",
		".web.key.tmp-12.tmp-3x4":  "",
		".tmp-.tmp-7":              "tmp-",
		".web.key.tmp-1.tmp-2.crt": "",
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tempBase(name); got != want {
				t.Errorf("tempBase(%q) = %q, want %q", name, got, want)
			}
		})
	}
}
