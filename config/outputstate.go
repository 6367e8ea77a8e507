package config

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/certform/certform/state"
)

// OutputRecords turns cfg's root outputs into what state records. An output
// that is not wholly known (a certificate it names was not issued: --no-wait,
// a failed CSR) is left out, and named in pending.
func OutputRecords(cfg *Config) (records map[string]state.Output, pending []string, err error) {
	records = map[string]state.Output{}
	for _, o := range cfg.OutputValues {
		if !o.Value.IsWhollyKnown() {
			pending = append(pending, o.Name)
			continue
		}
		rec, err := outputRecord(o.Value)
		if err != nil {
			return nil, nil, fmt.Errorf("output %q: %w", o.Name, err)
		}
		rec.Sensitive = o.Sensitive
		records[o.Name] = rec
	}
	return records, pending, nil
}

func outputRecord(v cty.Value) (state.Output, error) {
	ty, err := ctyjson.MarshalType(v.Type())
	if err != nil {
		return state.Output{}, err
	}
	val, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return state.Output{}, err
	}
	return state.Output{Value: val, Type: ty}, nil
}

// OutputValueOf reads a recorded output back into its value.
func OutputValueOf(o state.Output) (cty.Value, error) {
	var ty cty.Type
	if err := ty.UnmarshalJSON(o.Type); err != nil {
		return cty.NilVal, fmt.Errorf("recorded type: %w", err)
	}
	v, err := ctyjson.Unmarshal(o.Value, ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("recorded value: %w", err)
	}
	return v, nil
}
