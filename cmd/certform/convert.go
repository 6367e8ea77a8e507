package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
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
}

func runConvert(ctx context.Context, g *GlobalOptions, args []string, s Streams) (int, error) {
	var o ConvertOptions
	fs := newFlagSet("convert", g, s)
	fs.StringVar(&o.Name, "name", "", "the certificate block's name (default: from the common name)")
	fs.StringVar(&o.SignerName, "signer-name", "", "signer_name (default: kubernetes.io/kubelet-serving for a node subject)")
	fs.StringVar(&o.Bare, "bare", "server", "file name prefix, as cfssljson -bare: PREFIX-key.pem and PREFIX.crt")
	if err := fs.Parse(args); err != nil {
		return exitError, err
	}
	if fs.NArg() != 2 || fs.Arg(0) != "cfssl" {
		return exitError, withHint(errors.New("convert takes a format and a file"), "run: certform convert cfssl server-csr.json (or - for standard input)")
	}
	var data []byte
	var err error
	if fs.Arg(1) == "-" {
		data, err = limits.ReadAll(s.In, limits.ConfigFile)
	} else {
		data, err = limits.ReadFile(fs.Arg(1), limits.ConfigFile)
	}
	if err != nil {
		return exitError, fmt.Errorf("reading cfssl CSR JSON: %w", err)
	}
	var req cfsslRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return exitError, withHint(fmt.Errorf("reading cfssl CSR JSON: %w", err), `it holds "CN", "hosts", "key" {"algo", "size"} and "names" [{"C", "ST", "L", "O", "OU"}]`)
	}
	out, err := o.convert(req)
	if err != nil {
		return exitError, err
	}
	_, err = s.Out.Write(out)
	return exitOK, err
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
