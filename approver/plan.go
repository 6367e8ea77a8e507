package approver

import (
	"context"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/plan"
)

// PredictPlan sets the predicted verdict on every change of p that submits
// a CSR for the approver to decide: one that issues, for a certificate
// that does not approve itself (self_approve approves before any approver
// sees the CSR).
func (pr *Predictor) PredictPlan(ctx context.Context, p *plan.Plan, cfg *config.Config) error {
	certs := map[string]*config.Certificate{}
	for _, c := range cfg.Certificates {
		certs[c.Addr] = c
	}
	for _, ch := range p.Changes {
		c := certs[ch.Addr]
		if !ch.Action.Issues() || c == nil || c.SelfApprove {
			continue
		}
		d, err := pr.Predict(ctx, Planned{Request: c.Request, Key: c.Key.KeySpec, SignerName: c.SignerName,
			Usages: c.Usages, ExpirationSeconds: c.ExpirationSeconds,
			Annotations: map[string]string{kube.AnnotationAddr: ch.Addr}})
		if err != nil {
			return err
		}
		ch.Approval = &plan.Approval{Verdict: string(d.Verdict), Policy: d.Policy, Rule: d.Rule, Message: d.Message}
	}
	return nil
}
