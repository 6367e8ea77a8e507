package plan

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/certform/certform/state"
	"github.com/certform/certform/state/statefile"
)

// FileFormatVersion is the version of saved plan files written. Format 2
// gave CA bundle changes snake_case names; format 1 files still read.
const FileFormatVersion = 2

// fileFormatV1 is the first format, read still.
const fileFormatV1 = 1

// Saved is a plan as written by plan --out: the changes, and what they were
// planned against. It holds no key material and no prior records: apply
// takes those from state, which it first checks is the same state (same
// lineage and serial) the plan was made from.
type Saved struct {
	Plan *Plan
	// ConfigDigest is config.Digest of the configuration planned.
	ConfigDigest string
	// Variables are the values the configuration was evaluated with, so
	// that apply needs none; sensitive ones among them must not be shown.
	Variables map[string]cty.Value
	// Workspace is the workspace planned.
	Workspace string
	// StateDigest is statefile.ContentDigest of the state planned from; with
	// lineage and serial it tells apply the state is still that one, even
	// when the plan read it without the lock while an apply was recording.
	StateDigest string
}

// EncodeFile serialises a plan for plan --out, in format
// FileFormatVersion.
func EncodeFile(s Saved) ([]byte, error) {
	f := fileV2{FormatVersion: FileFormatVersion, CertformVersion: statefile.Version, Lineage: s.Plan.Lineage,
		Serial: s.Plan.Serial, ConfigDigest: s.ConfigDigest, Created: s.Plan.Created.UTC(), Changes: []*changeV1{}}
	f.CAContent, f.Workspace, f.StateDigest = s.Plan.CAContent, s.Workspace, s.StateDigest
	var err error
	if f.Variables, err = encodeVariables(s.Variables); err != nil {
		return nil, err
	}
	for _, c := range s.Plan.Changes {
		f.Changes = append(f.Changes, encodeChange(c))
	}
	for _, b := range s.Plan.Bundles {
		f.Bundles = append(f.Bundles, encodeBundle(b))
	}
	out, err := json.MarshalIndent(f, "", "  ")
	return append(out, '\n'), err
}

// ErrStale is wrapped by DecodeFile's caller checks when a saved plan no
// longer fits the state or configuration.
var ErrStale = errors.New("saved plan is stale")

// DecodeFile reads a saved plan. Its changes have no prior records until
// Bind attaches them.
func DecodeFile(data []byte) (Saved, error) {
	var head struct {
		FormatVersion int `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Saved{}, fmt.Errorf("not a certform plan file: %w", err)
	}
	var f fileV2
	switch head.FormatVersion {
	case FileFormatVersion:
		if err := json.Unmarshal(data, &f); err != nil {
			return Saved{}, fmt.Errorf("not a certform plan file: %w", err)
		}
	case fileFormatV1:
		var v1 fileV1
		if err := json.Unmarshal(data, &v1); err != nil {
			return Saved{}, fmt.Errorf("not a certform plan file: %w", err)
		}
		f = v1.fileV2
		for _, b := range v1.Bundles {
			f.Bundles = append(f.Bundles, b.upgrade())
		}
	default:
		return Saved{}, fmt.Errorf("plan file format %d is not supported (this certform reads %d to %d)", head.FormatVersion, fileFormatV1, FileFormatVersion)
	}
	p := &Plan{Lineage: f.Lineage, Serial: f.Serial, Created: f.Created, CAContent: f.CAContent}
	for _, c := range f.Changes {
		if c == nil {
			return Saved{}, errors.New("plan file has an empty change")
		}
		switch Action(c.Action) {
		case NoOp, Create, Renew, Replace, Update, Wait, Delete, Forget, Import:
		default:
			return Saved{}, fmt.Errorf("plan file has unknown action %q for %s", c.Action, c.Addr)
		}
		p.Changes = append(p.Changes, decodeChange(c))
	}
	for _, b := range f.Bundles {
		p.Bundles = append(p.Bundles, decodeBundle(b))
	}
	if err := checkDecoded(p); err != nil {
		return Saved{}, err
	}
	vars, err := decodeVariables(f.Variables)
	if err != nil {
		return Saved{}, err
	}
	ws := f.Workspace
	if ws == "" {
		ws = "default"
	}
	return Saved{Plan: p, ConfigDigest: f.ConfigDigest, Variables: vars, Workspace: ws, StateDigest: f.StateDigest}, nil
}

// Bind attaches the prior records from prior, refusing (with ErrStale) a
// plan made from another state or an older version of it. A plan made when
// there was no state gives a still-empty prior its lineage.
func (s Saved) Bind(prior *state.State) error {
	p := s.Plan
	if p.Serial == 0 && prior.Serial == 0 && len(prior.Certificates) == 0 {
		// Planned before any state existed, and still none exists: the
		// state apply creates takes the plan's lineage.
		prior.Lineage = p.Lineage
	}
	if p.Lineage != prior.Lineage {
		return fmt.Errorf("%w: it was made for state lineage %s, but the state is lineage %s", ErrStale, p.Lineage, prior.Lineage)
	}
	if p.Serial != prior.Serial {
		return fmt.Errorf("%w: the state changed since it was made (serial %d, now %d)", ErrStale, p.Serial, prior.Serial)
	}
	for _, ch := range p.Changes {
		addr := ch.Addr
		if ch.PrevAddr != "" {
			if _, taken := prior.Certificates[ch.Addr]; taken {
				return fmt.Errorf("%w: %s is to move to %s, which state already holds", ErrStale, ch.PrevAddr, ch.Addr)
			}
			addr = ch.PrevAddr
		}
		rec, ok := prior.Certificates[addr]
		switch {
		case ok && ch.Action == Import:
			return fmt.Errorf("%w: %s, to be imported, is already in state", ErrStale, addr)
		case ok:
			ch.Before = rec.DeepCopy()
			ch.Before.Addr = ch.Addr
			ch.BeforeAttrs = RecordedAttributes(ch.Before)
		case ch.Action == Create || ch.Action == Import || ch.Action == NoOp && ch.PrevAddr == "":
		default:
			return fmt.Errorf("%w: %s %s has no record in state", ErrStale, ch.Action, addr)
		}
	}
	return nil
}
