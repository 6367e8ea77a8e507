package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// moves renames the records that moved blocks move, before any other
// work, in one commit: a crash leaves either every record under its old
// address or every one under its new. The Secret of a moved record is
// annotated with its new address; its CSR object keeps its name (state
// records it), and the next reissue derives a name from the new address.
func (r *runner) moves(ctx context.Context, changes []*plan.Change) error {
	batch := map[string]*state.Certificate{}
	var moved []*plan.Change
	r.mu.Lock()
	for _, ch := range changes {
		if ch.PrevAddr == "" {
			continue
		}
		rec, ok := r.state.Certificates[ch.PrevAddr]
		if !ok {
			r.mu.Unlock()
			return fmt.Errorf("%s: no record to move to %s; make a new plan", ch.PrevAddr, ch.Addr)
		}
		rec = rec.DeepCopy()
		rec.Addr = ch.Addr
		batch[ch.PrevAddr], batch[ch.Addr] = nil, rec
		moved = append(moved, ch)
	}
	r.mu.Unlock()
	if len(moved) == 0 {
		return nil
	}
	if err := r.recordBatch(batch); err != nil {
		return err
	}
	for _, ch := range moved {
		r.report(Event{Addr: ch.Addr, Phase: PhaseMoved, Message: "moved from " + ch.PrevAddr})
		if sec := batch[ch.Addr].Secret; sec != nil {
			if err := r.readdress(ctx, sec, ch.Addr); err != nil {
				r.report(Event{Addr: ch.Addr, Phase: PhaseWarning, Message: err.Error()})
			}
		}
	}
	return nil
}

// recordBatch stores changes (nil removes an address) and returns once
// they are durable, together.
func (r *runner) recordBatch(changes map[string]*state.Certificate) error {
	r.mu.Lock()
	for addr, c := range changes {
		if c == nil {
			delete(r.state.Certificates, addr)
		} else {
			r.state.Certificates[addr] = c.DeepCopy()
		}
	}
	if r.opts.Record == nil {
		r.mu.Unlock()
		return nil
	}
	r.queue(changes, nil, true)
	r.changes++
	mine := r.changes
	r.mu.Unlock()
	return r.waitDurable(mine)
}

// readdress sets the address annotation of a Secret certform wrote to
// addr. A Secret that is gone or no longer certform's is left alone: the
// plan after this one writes or reports it.
func (r *runner) readdress(ctx context.Context, rec *state.SecretRecord, addr string) error {
	secrets := r.opts.Core.Secrets(rec.Namespace)
	sec, err := secrets.Get(ctx, rec.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading Secret %s/%s to record its new address: %w", rec.Namespace, rec.Name, err)
	}
	if sec.Labels[kube.LabelLineage] != r.lineage {
		return nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid": sec.UID, "resourceVersion": sec.ResourceVersion, // only this very version of it
		"annotations": map[string]string{kube.AnnotationAddr: addr},
	}})
	if err != nil {
		return err
	}
	_, err = secrets.Patch(ctx, rec.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil {
		return fmt.Errorf("annotating Secret %s/%s with its new address %s: %w", rec.Namespace, rec.Name, addr, err)
	}
	return nil
}

// forget drops an address from state and leaves its files, Secret and
// CSR where they are (a removed block with destroy = false).
//
// Its Secret stays too, but is no longer certform's: its labels and
// annotations go first (as when an adopted object is released), so that a
// block declaring it again is a conflict, not an overwrite of the key it
// holds. A Secret that is not this state's any more is left as it is.
func (r *runner) forget(ctx context.Context, ch *plan.Change) error {
	if rec := ch.Before; rec != nil && rec.Secret != nil {
		sec, err := r.opts.Core.Secrets(rec.Secret.Namespace).Get(ctx, rec.Secret.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return fmt.Errorf("reading Secret %s/%s: %w", rec.Secret.Namespace, rec.Secret.Name, err)
		case sec.Labels[kube.LabelLineage] == r.lineage:
			if err := r.unlabel(ctx, config.TargetSecret, sec); err != nil {
				return err
			}
		}
	}
	if err := r.record(ch.Addr, nil); err != nil {
		return err
	}
	r.report(Event{Addr: ch.Addr, Phase: PhaseForgotten, Message: "removed from state; its files, Secret and CSR were left in place (the Secret without certform's labels)"})
	return nil
}

// importPair adopts the key and certificate an import block names: read,
// verified against the configuration, written to the outputs (the key in
// the configured encoding) and recorded as issued.
func (r *runner) importPair(ctx context.Context, ch *plan.Change) error {
	c := r.cfg[ch.Addr]
	if c == nil || ch.Import == nil {
		return fmt.Errorf("%s is not a configured certificate with an import block; make a new plan", ch.Addr)
	}
	keyPEM, certPEM, err := ReadImportSource(ctx, r.opts.Core, *ch.Import, r.dir)
	if err != nil {
		return err
	}
	imp, err := VerifyImport(c, keyPEM, certPEM, r.opts.Now())
	if err != nil {
		return err
	}
	encoded, err := pki.EncodePrivateKey(imp.Key, c.Key.Encoding)
	if err != nil {
		return err
	}
	target := c
	if s := c.Secret; s != nil && s.Namespace == ch.Import.SecretNamespace && s.Name == ch.Import.SecretName {
		// Importing from the Secret the block writes adopts it (plan/conflicts.go).
		adopted, sec := *c, *s
		sec.Adopt = true
		adopted.Secret = &sec
		target = &adopted
	}
	files, secret, dirs, err := r.writeOutputs(ctx, target, material{keyPEM: encoded, certPEM: imp.CertPEM})
	if err != nil {
		return err
	}
	leaf := imp.Chain[0]
	rec := &state.Certificate{Addr: c.Addr, Request: plan.RequestOf(c), KeySHA256: imp.KeySHA256, Status: state.StatusIssued,
		SerialNumber: leaf.SerialNumber.Text(16), NotBefore: leaf.NotBefore.UTC(), NotAfter: leaf.NotAfter.UTC(),
		Files: files, Secret: secret, FilesOrigin: r.filesOrigin(files)}
	if err := r.record(c.Addr, rec, dirs...); err != nil {
		return err
	}
	r.report(Event{Addr: c.Addr, Phase: PhaseImported,
		Message: fmt.Sprintf("imported from %s: serial %s, expires %s", ch.Import, rec.SerialNumber, rec.NotAfter.Format(time.RFC3339))})
	return nil
}
