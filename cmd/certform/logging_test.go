package main

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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
			// client-go logs request bodies at V(8) through its contextual
			// logger, which klog's -v does not filter.
			klog.Background().V(8).Info("Request Body", "body", `{"data":{"tls.key":"LS0tLS1CRUdJTi..."}}`)
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

// TestDebugLogHoldsNoKeyMaterial runs an apply that writes a key file and
// a Secret with CERTFORM_LOG=debug, once logging to stderr and once to a
// CERTFORM_LOG_PATH file: the log shows certform's steps and client-go's
// requests, and nowhere holds the private key, in PEM or in base64.
func TestDebugLogHoldsNoKeyMaterial(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "debuglog-ns")
	for _, to := range []string{"stderr", "file"} {
		t.Run(to, func(t *testing.T) {
			name := "debuglog-" + to
			dir := writeConfig(t, `
certificate "`+name+`" {
  common_name  = "`+name+`"
  signer_name  = "kubernetes.io/kube-apiserver-client"
  usages       = ["digital signature", "client auth"]
  self_approve = true
  output {
    key_file  = "tls.key"
    cert_file = "tls.crt"
  }
  secret {
    namespace = "debuglog-ns"
    name      = "`+name+`"
  }
}
`)
			logPath := filepath.Join(t.TempDir(), "certform.log")
			cmd := certformCmd(dir, c.AdminKubeconfig, "apply", "--auto-approve")
			cmd.Env = append(cmd.Env, LogEnv+"=debug")
			if to == "file" {
				cmd.Env = append(cmd.Env, LogPathEnv+"="+logPath)
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("apply: %v\n%s%s", err, stdout.String(), stderr.String())
			}
			log := stderr.String()
			if to == "file" {
				data, err := os.ReadFile(logPath)
				if err != nil {
					t.Fatal(err)
				}
				if fi, _ := os.Stat(logPath); fi.Mode().Perm() != 0o600 {
					t.Errorf("log file mode %v, want 0600", fi.Mode().Perm())
				}
				if strings.Contains(log, "certform: debug:") {
					t.Errorf("with %s set, debug lines on stderr too:\n%s", LogPathEnv, log)
				}
				log = string(data)
			}
			for _, want := range []string{"certform: debug: command apply", "certform: debug: plan: certificate." + name + " create",
				"certform: debug: apply: certificate." + name + " issued", "certform: debug: client-go: ", "/secrets"} {
				if !strings.Contains(log, want) {
					t.Errorf("the debug log lacks %q:\n%s", want, log)
				}
			}
			key := mustRead(t, filepath.Join(dir, "tls.key"))
			block, _ := pem.Decode(key)
			if block == nil {
				t.Fatalf("tls.key holds no PEM block:\n%s", key)
			}
			all := stdout.String() + stderr.String() + log
			for what, secret := range map[string]string{
				"a PEM private key":              "PRIVATE KEY",
				"the key's base64 (PEM body)":    strings.Split(string(key), "\n")[1],
				"a base64 PEM private key":       base64.StdEncoding.EncodeToString(key)[:40],
				"the key's base64 (Secret data)": base64.StdEncoding.EncodeToString(key)[40:100],
				"the key's DER":                  string(block.Bytes[:32]),
			} {
				if i := strings.Index(all, secret); i >= 0 {
					t.Errorf("the output holds %s: %q", what, all[max(0, i-300):min(len(all), i+100)])
				}
			}
		})
	}
}

// TestLogRedactsPrivateKeys: a private key that reached a log line by
// mistake is redacted, whole or cut off.
func TestLogRedactsPrivateKeys(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"whole":   {"got -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY----- ok\n", "got [redacted private key] ok\n"},
		"pkcs8":   {"-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n", "[redacted private key]\n"},
		"cut off": {"body: -----BEGIN RSA PRIVATE KEY-----\nMIIE", "body: [redacted private key]"},
		"a cert":  {"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			(&lockedWriter{w: &out}).write(tc.in)
			if out.String() != tc.want {
				t.Errorf("got %q, want %q", out.String(), tc.want)
			}
		})
	}
}
