package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certform/certform/apply"
	"github.com/certform/certform/config"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// checkRefactors prints what the moved, removed and import blocks ask
// that this state cannot give (a move onto an address in state, say) and
// refuses to plan then.
func (w *workspace) checkRefactors(prior *state.State) error {
	diags := plan.CheckRefactors(w.cfg, prior)
	if len(diags) == 0 {
		return nil
	}
	if err := w.diags(diags); err != nil {
		return err
	}
	if diags.HasErrors() {
		return errReported
	}
	return nil
}

// verifyImports reads and verifies the key and certificate of every
// import the plan makes, so the plan shows what will be adopted and a
// mismatch is found before apply. Apply verifies again: files change.
// A Secret source is read only when the plan refreshes (it needs the
// cluster); the plan then says it was not verified.
func (w *workspace) verifyImports(ctx context.Context, p *plan.Plan, refresh bool) error {
	for _, ch := range p.Changes {
		if ch.Action != plan.Import {
			continue
		}
		if ch.Import.SecretName != "" && !refresh {
			ch.Reasons = append(ch.Reasons, "not verified: the Secret is read when refreshing")
			continue
		}
		imp, err := w.readImport(ctx, ch)
		if err != nil {
			var ie *apply.ImportError
			if errors.As(err, &ie) {
				return withHint(fmt.Errorf("%s: %w", ch.Addr, err), ie.Hint)
			}
			return withHint(fmt.Errorf("%s: %w", ch.Addr, err), "correct the import block's source")
		}
		leaf := imp.Chain[0]
		ch.Reasons = append(ch.Reasons, fmt.Sprintf("verified: the key matches the certificate (serial %s, expires %s), which satisfies the block",
			leaf.SerialNumber.Text(16), leaf.NotAfter.UTC().Format(time.RFC3339)))
	}
	return nil
}

func (w *workspace) readImport(ctx context.Context, ch *plan.Change) (*apply.Imported, error) {
	var keyPEM, certPEM []byte
	var err error
	if ch.Import.SecretName == "" {
		keyPEM, certPEM, err = apply.ReadImportSource(ctx, nil, *ch.Import, w.cfg.Dir)
	} else {
		// The Secret is read in the cluster of the certificate it is
		// imported into, where apply reads it again and writes its outputs.
		c := w.conn(config.DefaultCluster)
		if cert := w.certificate(ch.Addr); cert != nil {
			c = w.conn(cert.Cluster)
		}
		if cerr := c.connect(ctx, w); cerr != nil {
			return nil, cerr
		}
		keyPEM, certPEM, err = apply.ReadImportSource(ctx, c.cs.CoreV1(), *ch.Import, w.cfg.Dir)
	}
	if err != nil {
		return nil, err
	}
	return apply.VerifyImport(w.certificate(ch.Addr), keyPEM, certPEM, time.Now())
}
