package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/certform/certform/internal/fileindex"
)

// indexStats is what a plan's debug log says the file index did: output
// files answered from it, and output files read and hashed.
type indexStats struct{ unchanged, hashed string }

var indexStatsLine = regexp.MustCompile(`file index: (\d+) output file\(s\) unchanged since hashed, (\d+) hashed`)

// statsOf finds the file index's line in r's debug log.
func statsOf(t *testing.T, r result) indexStats {
	t.Helper()
	m := indexStatsLine.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no file index line in the debug log\n%s", r)
	}
	return indexStats{m[1], m[2]}
}

// pastRacyWindow waits until every path's ctime is more than
// fileindex.Margin in the past: a plan saves only the entries of files
// older than that when it hashed them (the racy-timestamp rule), so a
// test of what the next plan answers from the index must let that much
// wall time pass. It waits for the clock, not for another process.
func pastRacyWindow(t *testing.T, paths ...string) {
	t.Helper()
	at, err := fileindex.SavableAfter(paths...)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(at))
}

// sameSizeEdit rewrites path with other content of the same size, and
// puts its mtime back: only its ctime tells the change.
func sameSizeEdit(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	data := mustRead(t, path)
	data[len(data)/2] ^= 1
	if err := os.WriteFile(path, data, fi.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(path); after.Size() != fi.Size() || !after.ModTime().Equal(fi.ModTime()) {
		t.Fatalf("the edit changed the size or mtime: %v → %v", fi, after)
	}
}

// TestFileIndexJourney: apply a certificate, plan (the index learns its
// files, 0600), plan again (nothing read: both files answered from the
// index), then edit the certificate to the same size with its mtime put
// back: the next plan still sees the edit, by its ctime. Deleting the
// index makes a plan hash every file again; plan --refresh=false leaves
// it alone.
func TestFileIndexJourney(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("fi", true))
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	key, cert, index := filepath.Join(dir, "fi.key"), filepath.Join(dir, "fi.crt"), filepath.Join(dir, ".certform", fileIndexName)
	pastRacyWindow(t, key, cert)
	plan := func(wantCode int, want indexStats) result {
		t.Helper()
		r := certformEnv(t, dir, c.AdminKubeconfig, []string{LogEnv + "=debug"}, "plan", "--detailed-exitcode")
		if r.code != wantCode {
			t.Fatalf("plan: exit %d, want %d\n%s", r.code, wantCode, r)
		}
		if got := statsOf(t, r); got != want {
			t.Errorf("file index: %+v, want %+v", got, want)
		}
		return r
	}

	plan(exitOK, indexStats{unchanged: "0", hashed: "2"})
	fi, err := os.Stat(index)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the index after a plan: %v, %v; want mode 0600", fi, err)
	}
	plan(exitOK, indexStats{unchanged: "2", hashed: "0"})

	sameSizeEdit(t, cert)
	r := plan(exitChanges, indexStats{unchanged: "1", hashed: "1"})
	mustContain(t, r, "cert file fi.crt was modified outside certform")

	if err := os.Remove(index); err != nil {
		t.Fatal(err)
	}
	if r := certform(t, dir, c.AdminKubeconfig, "plan", "--refresh=false"); r.code != exitOK {
		t.Fatalf("plan --refresh=false\n%s", r)
	}
	if _, err := os.Stat(index); !os.IsNotExist(err) {
		t.Errorf("plan --refresh=false wrote the index: %v", err)
	}
	plan(exitChanges, indexStats{unchanged: "0", hashed: "2"})
}

// TestFileIndexReadOnlyDataDir: a data directory certform cannot write
// (uid 65534's, once root owns it) still serves its index, and a plan that
// cannot save what it learned plans correctly all the same.
func TestFileIndexReadOnlyDataDir(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run certform as another user")
	}
	c := sharedCluster(t)
	root := publicDir(t)
	cfg, data := filepath.Join(root, "config"), filepath.Join(root, "data")
	for _, d := range []string{cfg, data} {
		os.Mkdir(d, 0o755)
		os.Chown(d, 65534, 65534)
	}
	os.WriteFile(filepath.Join(cfg, "main.hcl"), []byte(clientCert("fi-ro", true)), 0o644)
	n := newNobody(t, root, cfg, c.AdminKubeconfig)
	env := []string{"CERTFORM_DATA_DIR=" + data, LogEnv + "=debug"}
	planAs := func(wantCode int, want indexStats) result {
		t.Helper()
		r := n.run(env, "plan", "--detailed-exitcode")
		if r.code != wantCode {
			t.Fatalf("plan: exit %d, want %d\n%s", r.code, wantCode, r)
		}
		if got := statsOf(t, r); got != want {
			t.Errorf("file index: %+v, want %+v", got, want)
		}
		return r
	}
	if r := n.run(env, "apply", "--auto-approve"); r.code != exitOK {
		t.Fatalf("apply\n%s", r)
	}
	pastRacyWindow(t, filepath.Join(cfg, "fi-ro.key"), filepath.Join(cfg, "fi-ro.crt"))
	planAs(exitOK, indexStats{unchanged: "0", hashed: "2"})

	if err := os.Chown(data, 0, 0); err != nil {
		t.Fatal(err)
	}
	planAs(exitOK, indexStats{unchanged: "2", hashed: "0"})
	sameSizeEdit(t, filepath.Join(cfg, "fi-ro.crt"))
	r := planAs(exitChanges, indexStats{unchanged: "1", hashed: "1"})
	mustContain(t, r, "cert file fi-ro.crt was modified outside certform", "file index not saved")

	if err := os.Remove(filepath.Join(data, fileIndexName)); err != nil {
		t.Fatal(err)
	}
	planAs(exitChanges, indexStats{unchanged: "0", hashed: "2"})
	if _, err := os.Stat(filepath.Join(data, fileIndexName)); !os.IsNotExist(err) {
		t.Errorf("a plan wrote into a data directory it cannot write: %v", err)
	}
}
