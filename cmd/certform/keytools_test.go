package main

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// envKeytool names Java's keytool for the keystore tests; make test sets
// it from hack/install-keytool.sh. Unset, the test runs that script, which
// installs Debian's openjdk-17-jre-headless where keytool is missing: the
// test fails, never skips, when keytool cannot be had.
const envKeytool = "CERTFORM_KEYTOOL"

// keytoolBinary returns the path of a real keytool.
func keytoolBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv(envKeytool); bin != "" {
		return bin
	}
	cmd := exec.Command(filepath.Join("..", "..", "hack", "install-keytool.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("finding keytool with hack/install-keytool.sh: %v\nhint: run make test, or set %s to a keytool", err, envKeytool)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// tool runs a real command and returns its combined output, failing the
// test when it exits non-zero.
func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// checkKeystore has openssl (for PKCS#12) and keytool list path: one
// private key entry with a chain of chainLen certificates.
func checkKeystore(t *testing.T, keytool, path, storeType, password string, chainLen int) {
	t.Helper()
	out := tool(t, keytool, "-list", "-v", "-keystore", path, "-storetype", storeType, "-storepass", password)
	for _, want := range []string{"Your keystore contains 1 entry", "Entry type: PrivateKeyEntry", "Certificate chain length: " + strconv.Itoa(chainLen)} {
		if !strings.Contains(out, want) {
			t.Errorf("keytool -list %s lacks %q:\n%s", filepath.Base(path), want, out)
		}
	}
	if storeType != "PKCS12" {
		return
	}
	out = tool(t, "openssl", "pkcs12", "-in", path, "-passin", "pass:"+password, "-nodes", "-info")
	if n := strings.Count(out, "-----BEGIN CERTIFICATE-----"); n != chainLen {
		t.Errorf("openssl pkcs12 %s: %d certificates, want %d", filepath.Base(path), n, chainLen)
	}
	if !strings.Contains(out, "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("openssl pkcs12 %s: no private key", filepath.Base(path))
	}
}

// checkTruststore has keytool list path: cas trusted certificate entries.
func checkTruststore(t *testing.T, keytool, path, storeType, password string, cas int) {
	t.Helper()
	out := tool(t, keytool, "-list", "-keystore", path, "-storetype", storeType, "-storepass", password)
	if n := strings.Count(out, "trustedCertEntry"); n != cas {
		t.Errorf("keytool -list %s: %d trusted entries, want %d:\n%s", filepath.Base(path), n, cas, out)
	}
}

// sServerHandshake serves combined (key and chain in one PEM) with
// openssl s_server and connects with openssl s_client, which must verify
// the server against caFile.
func sServerHandshake(t *testing.T, combined, caFile string) {
	t.Helper()
	port := freePort(t)
	server := exec.Command("openssl", "s_server", "-accept", "127.0.0.1:"+port, "-cert", combined, "-key", combined, "-www", "-quiet")
	var serverOut strings.Builder
	server.Stdout, server.Stderr = &serverOut, &serverOut
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()
	defer func() {
		server.Process.Kill()
		<-exited
	}()
	// Ready when the port accepts; s_server exiting first is a failure.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", "127.0.0.1:"+port)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("openssl s_server exited: %v\n%s", err, serverOut.String())
		case <-ctx.Done():
			t.Fatalf("openssl s_server never listened: %v", errors.Join(err, ctx.Err()))
		case <-time.After(20 * time.Millisecond):
		}
	}
	client := exec.Command("openssl", "s_client", "-connect", "127.0.0.1:"+port, "-CAfile", caFile, "-verify_return_error", "-verify_ip", "127.0.0.1", "-brief")
	client.Stdin = strings.NewReader("")
	out, err := client.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl s_client against the combined PEM: %v\n%s", err, out)
	}
	if !scanFor(string(out), "Verification: OK") {
		t.Errorf("openssl s_client did not verify the server:\n%s", out)
	}
}

func scanFor(text, line string) bool {
	s := bufio.NewScanner(strings.NewReader(text))
	for s.Scan() {
		if strings.TrimSpace(s.Text()) == line {
			return true
		}
	}
	return false
}
