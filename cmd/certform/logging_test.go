package main

import (
	"bytes"
	"errors"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/klog/v2"
)

// klogHeader is klog's own line header, "I1201 12:00:00.000000 1 file.go:258]".
var klogHeader = regexp.MustCompile(`(?m)^[IWEF]\d{4} `)

// TestKlogRoutedThroughCertform: client-go's klog lines come out as
// certform's lines, and info ones only when CERTFORM_LOG asks for them.
func TestKlogRoutedThroughCertform(t *testing.T) {
	cases := map[string]struct {
		env  string
		want string
	}{
		"default": {"", "certform: warning: client-go: error retrieving resource lock default/certform-approver (err=connection refused)\n"},
		"info": {"info", "certform: info: client-go: attempting to acquire leader lease default/certform-approver...\n" +
			"certform: warning: client-go: error retrieving resource lock default/certform-approver (err=connection refused)\n"},
		"debug": {"debug", "certform: info: client-go: attempting to acquire leader lease default/certform-approver...\n" +
			"certform: debug: client-go: GET https://127.0.0.1/ 200 OK\n" +
			"certform: warning: client-go: error retrieving resource lock default/certform-approver (err=connection refused)\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv(LogEnv, tc.env)
			var out bytes.Buffer
			routeKlog(&out)
			klog.Infof("attempting to acquire leader lease %s...", "default/certform-approver")
			klog.V(4).Info("GET https://127.0.0.1/ 200 OK")
			klog.ErrorS(errors.New("connection refused"), "error retrieving resource lock default/certform-approver")
			klog.Flush()
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if klogHeader.Match(out.Bytes()) {
				t.Errorf("klog's own header in the output:\n%s", out.String())
			}
		})
	}
}
