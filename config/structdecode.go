package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
)

// decodeStruct is gohcl.DecodeBody for the struct types of this package,
// with what gohcl works out by reflection on every call (the body's schema,
// the field of each attribute and block) worked out once per type. A
// for_each of 10,000 instances decodes one body 10,000 times, and that
// reflection was most of a large configuration's load. Types with field
// tags it does not know (label, remain, body, attribute ranges) or fields
// holding a *hcl.Attribute go to gohcl; a field holding an hcl.Expression
// gets the attribute's expression, or a null one when it is absent, as
// gohcl gives it.
func decodeStruct(body hcl.Body, ctx *hcl.EvalContext, target any) hcl.Diagnostics {
	return decodeStructIn(nil, body, ctx, target)
}

// decodeStructIn is decodeStruct taking bodies' content from cc (nil:
// working it out on every call).
func decodeStructIn(cc *contentCache, body hcl.Body, ctx *hcl.EvalContext, target any) hcl.Diagnostics {
	v := reflect.ValueOf(target)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return gohcl.DecodeBody(body, ctx, target)
	}
	return decodeInto(cc, body, ctx, v.Elem())
}

// structShape is what decoding a struct type needs to know about it.
type structShape struct {
	ok        bool // every tag is one decodeInto handles
	schema    *hcl.BodySchema
	attrs     []fieldOf // sorted by name
	exprs     []fieldOf // hcl.Expression fields, sorted by name
	blocks    []blockField
	defRange  int // field index, or -1
	typeRange int
}

type fieldOf struct {
	name  string
	index int
}

// blockField is a block-typed field: *T (at most one), T (exactly one) or
// []T / []*T (any number).
type blockField struct {
	fieldOf
	slice, ptr bool
	elem       reflect.Type // T
}

var shapes sync.Map // reflect.Type → *structShape

var (
	rangeType = reflect.TypeFor[hcl.Range]()
	exprType  = reflect.TypeFor[hcl.Expression]()
	attrType  = reflect.TypeFor[*hcl.Attribute]()
)

func shapeOf(t reflect.Type) *structShape {
	if s, ok := shapes.Load(t); ok {
		return s.(*structShape)
	}
	s := &structShape{ok: true, defRange: -1, typeRange: -1}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("hcl")
		if tag == "" {
			continue
		}
		name, kind, found := strings.Cut(tag, ",")
		if !found {
			kind = "attr"
		}
		switch {
		case (kind == "attr" || kind == "optional") && f.Type == exprType:
			s.exprs = append(s.exprs, fieldOf{name, i})
		case (kind == "attr" || kind == "optional") && f.Type != attrType:
			s.attrs = append(s.attrs, fieldOf{name, i})
		case kind == "block":
			s.blocks = append(s.blocks, newBlockField(name, i, f.Type))
		case kind == "def_range" && f.Type == rangeType:
			s.defRange = i
		case kind == "type_range" && f.Type == rangeType:
			s.typeRange = i
		default:
			s.ok = false
		}
	}
	sort.Slice(s.attrs, func(i, j int) bool { return s.attrs[i].name < s.attrs[j].name })
	sort.Slice(s.exprs, func(i, j int) bool { return s.exprs[i].name < s.exprs[j].name })
	for _, b := range s.blocks {
		if !shapeOf(b.elem).ok {
			s.ok = false
		}
	}
	if s.ok {
		// gohcl's own schema, so that what a body may hold is decided
		// exactly as gohcl decides it.
		s.schema, _ = gohcl.ImpliedBodySchema(reflect.New(t).Interface())
	}
	actual, _ := shapes.LoadOrStore(t, s)
	return actual.(*structShape)
}

func newBlockField(name string, index int, t reflect.Type) blockField {
	b := blockField{fieldOf: fieldOf{name, index}}
	if t.Kind() == reflect.Slice {
		b.slice, t = true, t.Elem()
	}
	if t.Kind() == reflect.Pointer {
		b.ptr, t = true, t.Elem()
	}
	b.elem = t
	return b
}

// decodeInto decodes body into the struct val as gohcl.DecodeBody does.
func decodeInto(cc *contentCache, body hcl.Body, ctx *hcl.EvalContext, val reflect.Value) hcl.Diagnostics {
	s := shapeOf(val.Type())
	if !s.ok {
		return gohcl.DecodeBody(body, ctx, val.Addr().Interface())
	}
	content, byType, diags := cc.content(body, s)
	if content == nil {
		return diags
	}
	for _, a := range s.attrs {
		if attr := content.Attributes[a.name]; attr != nil {
			diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, val.Field(a.index).Addr().Interface())...)
		}
	}
	for _, e := range s.exprs {
		var expr hcl.Expression
		if attr := content.Attributes[e.name]; attr != nil {
			expr = attr.Expr
		} else {
			// what gohcl gives an absent expression: a null to deal with in cty
			expr = hcl.StaticExpr(cty.NullVal(cty.DynamicPseudoType), body.MissingItemRange())
		}
		val.Field(e.index).Set(reflect.ValueOf(&expr).Elem())
	}
	for _, bf := range s.blocks {
		diags = append(diags, bf.decode(cc, byType[bf.name], body, ctx, val.Field(bf.index))...)
	}
	return diags
}

// decode decodes the blocks of bf's type into the field fv.
func (bf blockField) decode(cc *contentCache, blocks hcl.Blocks, body hcl.Body, ctx *hcl.EvalContext, fv reflect.Value) hcl.Diagnostics {
	switch {
	case len(blocks) > 1 && !bf.slice:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate %s block", bf.name),
			Detail:   fmt.Sprintf("Only one %s block is allowed. Another was defined at %s.", bf.name, blocks[0].DefRange.String()),
			Subject:  &blocks[1].DefRange,
		}}
	case len(blocks) == 0 && (bf.slice || bf.ptr):
		if fv.IsNil() {
			fv.Set(reflect.Zero(fv.Type()))
		}
		return nil
	case len(blocks) == 0:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Missing %s block", bf.name),
			Detail:   fmt.Sprintf("A %s block is required.", bf.name),
			Subject:  body.MissingItemRange().Ptr(),
		}}
	case bf.slice:
		var diags hcl.Diagnostics
		sli := reflect.MakeSlice(fv.Type(), len(blocks), len(blocks))
		for i, blk := range blocks {
			elem := sli.Index(i)
			if bf.ptr {
				elem.Set(reflect.New(bf.elem))
				elem = elem.Elem()
			}
			diags = append(diags, decodeBlock(cc, blk, ctx, elem)...)
		}
		fv.Set(sli)
		return diags
	case bf.ptr:
		if fv.IsNil() {
			fv.Set(reflect.New(bf.elem))
		}
		return decodeBlock(cc, blocks[0], ctx, fv.Elem())
	default:
		return decodeBlock(cc, blocks[0], ctx, fv)
	}
}

// decodeBlock decodes one block into the struct v, with its ranges.
func decodeBlock(cc *contentCache, block *hcl.Block, ctx *hcl.EvalContext, v reflect.Value) hcl.Diagnostics {
	diags := decodeInto(cc, block.Body, ctx, v)
	s := shapeOf(v.Type()) // ok: a type holding blocks of another type is only ok if that one is
	if s.typeRange >= 0 {
		v.Field(s.typeRange).Set(reflect.ValueOf(block.TypeRange))
	}
	if s.defRange >= 0 {
		v.Field(s.defRange).Set(reflect.ValueOf(block.DefRange))
	}
	return diags
}
