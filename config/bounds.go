package config

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/internal/workdir"
)

// MaxNesting is how deeply expressions may nest: brackets, parentheses,
// braces, templates and their interpolations, conditionals and unary
// operators together. HCL's parser recurses once (or more) per level, so
// without a bound a file of 70,000 "(" overflows the stack and kills the
// process; real configurations nest well under 20 levels.
const MaxNesting = 128

// ReadSource reads a configuration or variable file for parsing, refusing
// devices and files over limits.ConfigFile. The error diagnostic names the
// file in its subject.
func ReadSource(path string) ([]byte, hcl.Diagnostics) {
	return readSourceIn("", path)
}

// readSourceIn is ReadSource with a relative path read from dir; the
// diagnostic names the file as written.
func readSourceIn(dir workdir.Dir, path string) ([]byte, hcl.Diagnostics) {
	src, err := limits.ReadFile(dir.Path(path), limits.ConfigFile)
	if err == nil {
		return src, nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		pe.Path = path
	}
	detail := fmt.Sprintf("%s.", err)
	if errors.Is(err, limits.ErrTooLarge) {
		detail += " certform reads configuration and variable files of at most 16 MiB; split the file, or move data into files read by ca_bundle sources."
	}
	return nil, hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Cannot read file",
		Detail:   detail,
		Subject:  &hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos},
	}}
}

// CheckNesting reports an error at the first place where src nests deeper
// than MaxNesting. It only lexes (the lexer does not recurse), so it is
// safe to run on any input before handing it to HCL's parser.
func CheckNesting(src []byte, filename string) hcl.Diagnostics {
	tokens, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos)
	type level struct {
		opener    hclsyntax.TokenType
		questions int // conditionals chained at this level: each is a recursion
	}
	var stack []level
	depth, unary := 0, 0 // depth: len(stack) + every level's questions
	for i, tok := range tokens {
		if tok.Type != hclsyntax.TokenMinus && tok.Type != hclsyntax.TokenBang {
			unary = 0
		}
		switch tok.Type {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen, hclsyntax.TokenOQuote,
			hclsyntax.TokenOHeredoc, hclsyntax.TokenTemplateInterp:
			stack = append(stack, level{opener: tok.Type})
			depth++
		case hclsyntax.TokenTemplateControl:
			// %{ if } and %{ for } open a level for their body that
			// %{ endif } and %{ endfor } close; the directive itself is a
			// level that its "}" (a SeqEnd) closes.
			word := ""
			if i+1 < len(tokens) && tokens[i+1].Type == hclsyntax.TokenIdent {
				word = string(tokens[i+1].Bytes)
			}
			switch n := len(stack); {
			case word == "if" || word == "for":
				stack = append(stack, level{opener: hclsyntax.TokenNil})
				depth++
			case (word == "endif" || word == "endfor") && n > 0 && stack[n-1].opener == hclsyntax.TokenNil:
				depth -= 1 + stack[n-1].questions
				stack = stack[:n-1]
			}
			stack = append(stack, level{opener: tok.Type})
			depth++
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenCQuote,
			hclsyntax.TokenCHeredoc, hclsyntax.TokenTemplateSeqEnd:
			if n := len(stack); n > 0 {
				depth -= 1 + stack[n-1].questions
				stack = stack[:n-1]
			}
		case hclsyntax.TokenQuestion:
			if n := len(stack); n > 0 {
				stack[n-1].questions++
			} else {
				stack = append(stack, level{questions: 1})
				depth++ // a level of its own, never closed; harmless
			}
			depth++
		case hclsyntax.TokenComma, hclsyntax.TokenNewline:
			// A comma ends a list item or an argument; a newline ends an
			// attribute or an object item, but not an expression inside
			// parentheses or brackets.
			if n := len(stack); n > 0 && (tok.Type == hclsyntax.TokenComma ||
				stack[n-1].opener != hclsyntax.TokenOParen && stack[n-1].opener != hclsyntax.TokenOBrack) {
				depth -= stack[n-1].questions
				stack[n-1].questions = 0
			}
		case hclsyntax.TokenMinus, hclsyntax.TokenBang:
			unary++
		}
		if depth+unary > MaxNesting {
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Configuration nested too deeply",
				Detail: fmt.Sprintf("Expressions may nest at most %d levels deep (brackets, parentheses, braces, templates, conditionals and unary operators together). Split the expression into locals.",
					MaxNesting),
				Subject: tok.Range.Ptr(),
			}}
		}
	}
	return nil
}

// sourceParser parses configuration and variable files with their size and
// nesting bounded, keeping every file it parsed for rendering diagnostics.
// A relative path is read from dir, and the file keeps the name path.
type sourceParser struct {
	*hclparse.Parser
	dir workdir.Dir
}

// ParseHCLFile reads, checks and parses the file at path.
func (p sourceParser) ParseHCLFile(path string) (*hcl.File, hcl.Diagnostics) {
	src, diags := readSourceIn(p.dir, path)
	if diags.HasErrors() {
		return nil, diags
	}
	if diags := CheckNesting(src, path); diags.HasErrors() {
		// Keep the source so the diagnostic can show it.
		p.Files()[path] = &hcl.File{Bytes: src, Body: hcl.EmptyBody()}
		return nil, diags
	}
	return p.ParseHCL(src, path)
}
