package views

import (
	"encoding/json"
	"io"
	"time"

	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// PlanJSONFormatVersion is the version of the plan --json document. Minor
// versions add fields; a major version changes or removes them.
const PlanJSONFormatVersion = "1.0"

// PlanJSON is the machine-readable plan (docs/plan-json.md).
type PlanJSON struct {
	FormatVersion   string       `json:"format_version"`
	CertformVersion string       `json:"certform_version"`
	Lineage         string       `json:"lineage"`
	Serial          uint64       `json:"serial"`
	Created         time.Time    `json:"created"`
	HasChanges      bool         `json:"has_changes"`
	Summary         SummaryJSON  `json:"summary"`
	Changes         []ChangeJSON `json:"changes"`
	CABundles       []BundleJSON `json:"ca_bundles"`
	// Conflicts: Secrets and ConfigMaps the plan would write although
	// certform did not create them; apply refuses a plan with any.
	Conflicts []string `json:"conflicts,omitempty"`
}

// SummaryJSON counts changes by action.
type SummaryJSON struct {
	Issue   int `json:"issue"`
	Renew   int `json:"renew"`
	Replace int `json:"replace"`
	Update  int `json:"update"`
	Delete  int `json:"delete"`
	Wait    int `json:"wait"`
	NoOp    int `json:"no_op"`
}

// ChangeJSON is one address's change.
type ChangeJSON struct {
	Address string      `json:"address"`
	Action  plan.Action `json:"action"`
	Reasons []string    `json:"reasons"`
	Forces  []string    `json:"forces_replacement,omitempty"`
	// ReuseKey: the reissue keeps the current key (key.rotation = "never").
	ReuseKey bool           `json:"reuse_key,omitempty"`
	Before   *BeforeJSON    `json:"before"`
	After    *state.Request `json:"after"`
}

// BeforeJSON is the state record of an address, without key material
// (there is none in state to begin with).
type BeforeJSON struct {
	state.Request
	Status       string     `json:"status"`
	CSRName      string     `json:"csr_name,omitempty"`
	SerialNumber string     `json:"serial_number,omitempty"`
	NotBefore    *time.Time `json:"not_before,omitempty"`
	NotAfter     *time.Time `json:"not_after,omitempty"`
	KeySHA256    string     `json:"key_sha256"`
}

// NewPlanJSON lays p out for --json.
func NewPlanJSON(p *plan.Plan) PlanJSON {
	n := p.Counts()
	out := PlanJSON{
		FormatVersion: PlanJSONFormatVersion, CertformVersion: state.Version, Lineage: p.Lineage, Serial: p.Serial,
		Created: p.Created.UTC(), HasChanges: p.HasChanges(), Changes: []ChangeJSON{}, CABundles: bundlesJSON(p.Bundles), Conflicts: p.Conflicts,
		Summary: SummaryJSON{Issue: n[plan.Create], Renew: n[plan.Renew], Replace: n[plan.Replace], Update: n[plan.Update],
			Delete: n[plan.Delete], Wait: n[plan.Wait], NoOp: n[plan.NoOp]},
	}
	for _, c := range p.Changes {
		cj := ChangeJSON{Address: c.Addr, Action: c.Action, Reasons: c.Reasons, Forces: c.Forces, ReuseKey: c.ReuseKey, After: c.After}
		if cj.Reasons == nil {
			cj.Reasons = []string{}
		}
		if b := c.Before; b != nil {
			cj.Before = &BeforeJSON{Request: b.Request, Status: b.Status, CSRName: b.CSRName, SerialNumber: b.SerialNumber,
				NotBefore: timeOrNil(b.NotBefore), NotAfter: timeOrNil(b.NotAfter), KeySHA256: b.KeySHA256}
		}
		out.Changes = append(out.Changes, cj)
	}
	return out
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// WriteJSON writes v as indented JSON without HTML escaping.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
