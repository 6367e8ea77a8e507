package apply

import (
	"context"
	"crypto"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/internal/fault"
	"github.com/certform/certform/internal/observe"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

var getOptions = metav1.GetOptions{}

// collect verifies an issued certificate and, only if it passes, writes key
// and certificate and records the address as issued.
func (r *runner) collect(c *config.Certificate, rec *state.Certificate, key crypto.Signer, certPEM []byte, waited time.Duration) error {
	chain, err := pki.ParseCertificatesPEM(certPEM)
	if err != nil {
		return fmt.Errorf("CSR %s carries an unreadable certificate: %w", rec.CSRName, err)
	}
	err = pki.VerifyIssued(chain, pki.Expectation{
		PublicKey: key.Public(), Request: c.Request, Usages: c.Usages, Now: r.opts.Now(),
	})
	if err != nil {
		return fmt.Errorf("CSR %s: %w", rec.CSRName, err)
	}
	keyPEM, err := pki.EncodePrivateKey(key, c.Key.Encoding)
	if err != nil {
		return err
	}
	keyPath, certPath := filepath.Clean(c.Output.KeyFile), filepath.Clean(c.Output.CertFile)
	// Until state says issued, a crash between the two renames is repaired
	// by the next run, which collects again with the kept key.
	keyOut := atomicfile.File{Path: keyPath, Data: keyPEM, Mode: plan.KeyFileMode}
	if kept := r.opts.Keys.Path(rec.KeySHA256); c.Key.Encoding == pki.PKCS8 && sameFS(kept, filepath.Dir(keyPath)) {
		keyOut.From = kept // the kept key is this very file, already synced: move it
	}
	dirs, err := atomicfile.WriteAllUnsynced(keyOut, atomicfile.File{Path: certPath, Data: certPEM, Mode: plan.CertFileMode})
	if err == nil {
		err = atomicfile.SyncDirs(dirs)
		dirs = nil
	}
	if err != nil {
		return err
	}
	fault.Point(fault.AfterFiles)
	old := rec.Files
	leaf := chain[0]
	out := rec.DeepCopy()
	out.Status = state.StatusIssued
	out.SerialNumber = leaf.SerialNumber.Text(16)
	out.NotBefore, out.NotAfter = leaf.NotBefore.UTC(), leaf.NotAfter.UTC()
	out.Files = map[string]state.File{
		keyPath:  {Role: state.RoleKey, SHA256: observe.SHA256(keyPEM), Mode: plan.KeyFileMode},
		certPath: {Role: state.RoleCert, SHA256: observe.SHA256(certPEM), Mode: plan.CertFileMode},
	}
	// Not waited for: until this record is durable, the pending record and
	// the kept key let the next run collect the certificate again.
	go r.recordAsync(c.Addr, out, dirs...)()
	r.removeStale(c.Addr, old, out.Files)
	r.report(Event{Addr: c.Addr, Phase: PhaseIssued, CSRName: rec.CSRName, Elapsed: waited,
		Message: fmt.Sprintf("serial %s, expires %s", out.SerialNumber, out.NotAfter.Format(time.RFC3339))})
	return nil
}

// removeStale deletes files an earlier issue wrote at paths no longer used,
// but only while they still hold what certform wrote.
func (r *runner) removeStale(addr string, old, current map[string]state.File) {
	for path, f := range old {
		if _, kept := current[path]; kept {
			continue
		}
		if err := removeIfUnchanged(path, f); err != nil {
			r.report(Event{Addr: addr, Phase: PhaseWarning, Message: err.Error()})
		}
	}
}

func removeIfUnchanged(path string, f state.File) error {
	obs, err := observe.File(path)
	if err != nil || !obs.Exists {
		return err
	}
	if obs.SHA256 != f.SHA256 {
		return fmt.Errorf("left %s in place: it was modified outside certform", path)
	}
	return atomicfile.Remove(path)
}

// update fixes files without reissuing: rewrites a lost certificate from
// its CSR, moves files to new paths, and corrects modes.
func (r *runner) update(ctx context.Context, ch *plan.Change) error {
	c := r.cfg[ch.Addr]
	rec := ch.Before.DeepCopy()
	contents := map[string][]byte{}
	for path, f := range rec.Files {
		if f.Role == state.RoleCert && ch.RewriteCert {
			csr, err := r.opts.CSRs.Get(ctx, rec.CSRName, getOptions)
			if err != nil {
				return fmt.Errorf("reading CSR %s to rewrite %s: %w", rec.CSRName, path, err)
			}
			contents[f.Role] = csr.Status.Certificate
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading %s to update it: %w", path, err)
		}
		contents[f.Role] = data
	}
	targets := map[string]string{state.RoleKey: filepath.Clean(c.Output.KeyFile), state.RoleCert: filepath.Clean(c.Output.CertFile)}
	modes := map[string]fs.FileMode{state.RoleKey: plan.KeyFileMode, state.RoleCert: plan.CertFileMode}
	files := map[string]state.File{}
	for _, role := range []string{state.RoleKey, state.RoleCert} {
		data := contents[role]
		if observe.SHA256(data) != fileSHA(rec, role) {
			return fmt.Errorf("%s file no longer holds what certform wrote; run plan again", role)
		}
		if err := atomicfile.Write(targets[role], data, modes[role]); err != nil {
			return err
		}
		files[targets[role]] = state.File{Role: role, SHA256: observe.SHA256(data), Mode: modes[role]}
	}
	old := rec.Files
	rec.Files = files
	if err := r.record(c.Addr, rec); err != nil {
		return err
	}
	r.removeStale(c.Addr, old, files)
	r.report(Event{Addr: c.Addr, Phase: PhaseUpdated})
	return nil
}

func fileSHA(rec *state.Certificate, role string) string {
	_, f, _ := rec.FileWithRole(role)
	return f.SHA256
}

// delete removes what certform made for an address that left the
// configuration: its CSR object and the files that still hold what it wrote.
func (r *runner) delete(ctx context.Context, ch *plan.Change) error {
	rec := ch.Before
	if rec.CSRName != "" {
		uid := metav1.Preconditions{UID: typesUID(rec.CSRUID)}
		err := r.opts.CSRs.Delete(ctx, rec.CSRName, metav1.DeleteOptions{Preconditions: &uid})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("deleting CSR %s: %w", rec.CSRName, err)
		}
	}
	for path, f := range rec.Files {
		if err := removeIfUnchanged(path, f); err != nil {
			r.report(Event{Addr: rec.Addr, Phase: PhaseWarning, Message: err.Error()})
		}
	}
	if err := r.record(rec.Addr, nil); err != nil {
		return err
	}
	r.report(Event{Addr: rec.Addr, Phase: PhaseDeleted})
	return nil
}

// sameFS reports whether path and dir (created if missing) are on one
// filesystem, so a rename between them is atomic.
func sameFS(path, dir string) bool {
	if err := os.MkdirAll(dir, atomicfile.DirMode); err != nil {
		return false
	}
	a, errA := os.Stat(path)
	b, errB := os.Stat(dir)
	if errA != nil || errB != nil {
		return false
	}
	sa, okA := a.Sys().(*syscall.Stat_t)
	sb, okB := b.Sys().(*syscall.Stat_t)
	return okA && okB && sa.Dev == sb.Dev
}
