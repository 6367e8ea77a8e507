package views

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Output is one recorded output value for display.
type Output struct {
	Name      string
	Value     cty.Value
	Type      json.RawMessage // the value's type, in go-cty's JSON encoding
	Sensitive bool
}

// RenderOutputs prints name = value lines, in HCL syntax, sensitive values
// hidden (as after terraform apply and in terraform output).
func RenderOutputs(w io.Writer, outs []Output) {
	for _, o := range outs {
		if o.Sensitive {
			fmt.Fprintf(w, "%s = <sensitive>\n", o.Name)
			continue
		}
		fmt.Fprintf(w, "%s = %s\n", o.Name, hclValue(o.Value))
	}
}

// RenderOutputValue prints one value in HCL syntax, sensitive or not: it
// was asked for by name.
func RenderOutputValue(w io.Writer, o Output) {
	fmt.Fprintln(w, hclValue(o.Value))
}

// RenderOutputRaw prints a string, number or bool as it is, with no quotes
// or newline, for $(certform output --raw NAME).
func RenderOutputRaw(w io.Writer, o Output) error {
	v := o.Value
	switch {
	case v.IsNull():
		return fmt.Errorf("output %q is null; --raw prints only strings, numbers and bools", o.Name)
	case v.Type() == cty.String:
		_, err := io.WriteString(w, v.AsString())
		return err
	case v.Type() == cty.Number:
		_, err := io.WriteString(w, v.AsBigFloat().Text('f', -1))
		return err
	case v.Type() == cty.Bool:
		_, err := fmt.Fprint(w, v.True())
		return err
	}
	return fmt.Errorf("output %q has type %s; --raw prints only strings, numbers and bools: use --json", o.Name, v.Type().FriendlyName())
}

// outputJSON is one output in output --json, as terraform output -json has it.
type outputJSON struct {
	Sensitive bool            `json:"sensitive"`
	Type      json.RawMessage `json:"type"`
	Value     json.RawMessage `json:"value,omitempty"`
}

// RenderOutputsJSON prints every output, sensitive values included (JSON
// is read by programs), as {"NAME": {"sensitive", "type", "value"}}.
func RenderOutputsJSON(w io.Writer, outs []Output) error {
	doc := map[string]outputJSON{}
	for _, o := range outs {
		v, err := ctyjson.Marshal(o.Value, o.Value.Type())
		if err != nil {
			return err
		}
		doc[o.Name] = outputJSON{Sensitive: o.Sensitive, Type: o.Type, Value: v}
	}
	return writeJSON(w, doc)
}

// RenderOutputValueJSON prints one output's value as JSON.
func RenderOutputValueJSON(w io.Writer, o Output) error {
	v, err := ctyjson.Marshal(o.Value, o.Value.Type())
	if err != nil {
		return err
	}
	return writeJSON(w, json.RawMessage(v))
}

// EmitOutputsEvent writes apply --json's last event: {"type": "outputs",
// "outputs": {"NAME": {"sensitive", "type", "value"}}, "pending": [...]},
// one line, the value left out of sensitive outputs (a job log is no
// place for them; certform output --json has them).
func EmitOutputsEvent(w io.Writer, outs []Output, pending []string) error {
	doc := map[string]outputJSON{}
	for _, o := range outs {
		oj := outputJSON{Sensitive: o.Sensitive, Type: o.Type}
		if !o.Sensitive {
			v, err := ctyjson.Marshal(o.Value, o.Value.Type())
			if err != nil {
				return err
			}
			oj.Value = v
		}
		doc[o.Name] = oj
	}
	if pending == nil {
		pending = []string{}
	}
	return json.NewEncoder(w).Encode(map[string]any{"type": "outputs", "outputs": doc, "pending": pending,
		"time": time.Now().UTC().Format(time.RFC3339Nano)})
}

func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// hclValue is v in HCL syntax, formatted as certform fmt would.
func hclValue(v cty.Value) string {
	return string(hclwrite.Format(hclwrite.TokensForValue(v).Bytes()))
}
