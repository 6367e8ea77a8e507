package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/pflag"
	"github.com/zclconf/go-cty/cty"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/limits"
)

// cfsslRequest is the CSR JSON that `cfssl genkey` reads.
type cfsslRequest struct {
	CN    string   `json:"CN"`
	Hosts []string `json:"hosts"`
	Key   *struct {
		Algo string `json:"algo"`
		Size int    `json:"size"`
	} `json:"key"`
	Names []struct {
		C, ST, L, O, OU string
	} `json:"names"`
}

// ConvertOptions are convert cfssl's flags.
type ConvertOptions struct {
	Name       string
	SignerName string
	Bare       string
	File       string // the cfssl CSR JSON, or - for standard input
}

var cmdConvert = &command{
	name: "convert", args: "cfssl FILE|-", summary: "turn a cfssl CSR JSON into a certificate block",
	desc: `Prints a certificate block for a cfssl CSR JSON file (- reads standard input), for teams moving
from cfssl and kubectl. Fields a Kubernetes CSR has no place for (ca, a subject E, serialnumber, ...)
are left out with a warning naming them.`,
	examples: []string{
		"certform convert cfssl server-csr.json >> main.hcl",
		"certform convert cfssl --name web --bare web - < web-csr.json",
	},
	new: func() Options { return &ConvertOptions{} },
}

// AddFlags adds convert's flags.
func (o *ConvertOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Name, "name", "", "the certificate block's name (default: from the common name)")
	fs.StringVar(&o.SignerName, "signer-name", "", "signer_name (default: kubernetes.io/kubelet-serving for a node subject)")
	fs.StringVar(&o.Bare, "bare", "server", "file name prefix, as cfssljson -bare: PREFIX-key.pem and PREFIX.crt")
}

// Complete takes the format and the file.
func (o *ConvertOptions) Complete(_ *GlobalOptions, args []string) error {
	if len(args) != 2 || args[0] != "cfssl" {
		return withHint(errors.New("convert takes a format and a file"), "run: certform convert cfssl server-csr.json (or - for standard input)")
	}
	o.File = args[1]
	return nil
}

// Validate has nothing to check.
func (o *ConvertOptions) Validate() error { return nil }

// Run prints the certificate block.
func (o *ConvertOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	var data []byte
	var err error
	if o.File == "-" {
		data, err = limits.ReadAll(s.In, limits.ConfigFile)
	} else {
		data, err = limits.ReadFile(o.File, limits.ConfigFile)
	}
	if err != nil {
		return exitError, fmt.Errorf("reading cfssl CSR JSON: %w", err)
	}
	var req cfsslRequest
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&req); err != nil {
		return exitError, withHint(fmt.Errorf("reading cfssl CSR JSON: %w", err), `it holds "CN", "hosts", "key" {"algo", "size"} and "names" [{"C", "ST", "L", "O", "OU"}]`)
	}
	// Real cfssl files carry fields for CAs and cfssl's own signing ("ca",
	// "names"[].E, "serialnumber", ...): ignored, but named.
	if ignored := ignoredCfsslFields(data); len(ignored) > 0 {
		fmt.Fprintf(s.Err, "certform: warning: ignored cfssl fields that a Kubernetes CSR has no place for: %s\n", strings.Join(ignored, ", "))
	}
	out, err := o.convert(req)
	if err != nil {
		return exitError, err
	}
	_, err = s.Out.Write(out)
	return exitOK, err
}

// ignoredCfsslFields lists the fields of a cfssl CSR JSON that convert
// does not map, as JSON paths; matched without regard to case, as
// encoding/json matches them.
func ignoredCfsslFields(data []byte) []string {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return nil
	}
	var ignored []string
	for _, k := range slices.Sorted(maps.Keys(top)) {
		switch strings.ToLower(k) {
		case "cn", "hosts":
		case "key":
			ignored = append(ignored, unknownKeys(top[k], k+".", "algo", "size")...)
		case "names":
			var names []json.RawMessage
			json.Unmarshal(top[k], &names)
			for i, n := range names {
				ignored = append(ignored, unknownKeys(n, fmt.Sprintf("%s[%d].", k, i), "c", "st", "l", "o", "ou")...)
			}
		default:
			ignored = append(ignored, k)
		}
	}
	return ignored
}

// unknownKeys lists the keys of the JSON object raw not in known (lower
// case), each after prefix.
func unknownKeys(raw json.RawMessage, prefix string, known ...string) []string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if !slices.Contains(known, strings.ToLower(k)) {
			out = append(out, prefix+k)
		}
	}
	return out
}

var blockNameUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// convert renders req as a certificate block.
func (o *ConvertOptions) convert(req cfsslRequest) ([]byte, error) {
	var org, ou, country, province, locality []string
	for _, n := range req.Names {
		org, ou = appendSet(org, n.O), appendSet(ou, n.OU)
		country, province, locality = appendSet(country, n.C), appendSet(province, n.ST), appendSet(locality, n.L)
	}
	signer := o.SignerName
	if signer == "" {
		if !strings.HasPrefix(req.CN, "system:node:") || !slices.Equal(org, []string{"system:nodes"}) {
			return nil, withHint(errors.New("cannot tell which signer this request is for"), "pass --signer-name, e.g. --signer-name example.com/serving")
		}
		signer = config.SignerKubeletServing
	}
	name := o.Name
	if name == "" {
		cn := req.CN[strings.LastIndex(req.CN, ":")+1:]
		name = strings.Trim(blockNameUnsafe.ReplaceAllString(strings.Split(cn, ".")[0], "-"), "-")
		if name == "" || !(name[0] >= 'a' && name[0] <= 'z' || name[0] >= 'A' && name[0] <= 'Z') {
			name = "converted"
		}
	}
	f := hclwrite.NewEmptyFile()
	body := f.Body().AppendNewBlock("certificate", []string{name}).Body()
	if req.CN != "" {
		body.SetAttributeValue("common_name", cty.StringVal(req.CN))
	}
	if len(req.Hosts) > 0 {
		body.SetAttributeValue("hosts", strings2cty(req.Hosts))
	}
	subject := map[string][]string{"organization": org, "organizational_unit": ou, "country": country, "province": province, "locality": locality}
	if len(org)+len(ou)+len(country)+len(province)+len(locality) > 0 {
		sb := body.AppendNewBlock("subject", nil).Body()
		for _, attr := range []string{"organization", "organizational_unit", "country", "province", "locality"} {
			if len(subject[attr]) > 0 {
				sb.SetAttributeValue(attr, strings2cty(subject[attr]))
			}
		}
	}
	algo, size := "ecdsa", 256 // cfssl's default key
	if req.Key != nil {
		algo, size = req.Key.Algo, req.Key.Size
	}
	kb := body.AppendNewBlock("key", nil).Body()
	kb.SetAttributeValue("algorithm", cty.StringVal(algo))
	kb.SetAttributeValue("size", cty.NumberIntVal(int64(size)))
	body.SetAttributeValue("signer_name", cty.StringVal(signer))
	body.SetAttributeValue("usages", strings2cty(config.DefaultUsages))
	ob := body.AppendNewBlock("output", nil).Body()
	ob.SetAttributeValue("key_file", cty.StringVal(o.Bare+"-key.pem"))
	ob.SetAttributeValue("cert_file", cty.StringVal(o.Bare+".crt"))
	return hclwrite.Format(f.Bytes()), nil
}

func appendSet(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func strings2cty(ss []string) cty.Value {
	vals := make([]cty.Value, len(ss))
	for i, s := range ss {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}
