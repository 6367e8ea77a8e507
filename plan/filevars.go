package plan

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// fileVariableV1 is one variable value in a saved plan: its type and its
// value in go-cty's JSON encoding, as Terraform's plan files carry them.
// Sensitive values are stored too (the file is 0600, as the plan's key
// file paths already make it private); show never prints them.
type fileVariableV1 struct {
	Type  json.RawMessage `json:"type"`
	Value json.RawMessage `json:"value"`
}

// encodeVariables serialises the values a plan was made with.
func encodeVariables(vals map[string]cty.Value) (map[string]fileVariableV1, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	out := map[string]fileVariableV1{}
	for _, name := range slices.Sorted(maps.Keys(vals)) {
		v := vals[name]
		ty, err := ctyjson.MarshalType(v.Type())
		if err != nil {
			return nil, fmt.Errorf("saving variable %q: %w", name, err)
		}
		val, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			return nil, fmt.Errorf("saving variable %q: %w", name, err)
		}
		out[name] = fileVariableV1{Type: ty, Value: val}
	}
	return out, nil
}

// decodeVariables reads the values of a saved plan.
func decodeVariables(in map[string]fileVariableV1) (map[string]cty.Value, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := map[string]cty.Value{}
	for name, f := range in {
		ty, err := ctyjson.UnmarshalType(f.Type)
		if err != nil {
			return nil, fmt.Errorf("plan file variable %q has an unreadable type: %w", name, err)
		}
		val, err := ctyjson.Unmarshal(f.Value, ty)
		if err != nil {
			return nil, fmt.Errorf("plan file variable %q has an unreadable value: %w", name, err)
		}
		out[name] = val
	}
	return out, nil
}
