package main

import (
	"testing"
	"unicode/utf8"
)

// FuzzShellQuote: shellUnquote reads the words completion scripts pass
// (outside input, as typed) and shellQuote writes the paths in hints a
// user pastes. Whatever shellQuote makes of a string, shellUnquote gives
// the string back, and neither panics on any word.
// Seeds are in testdata/fuzz/FuzzShellQuote.
func FuzzShellQuote(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		_ = shellUnquote(s)
		if !utf8.ValidString(s) {
			return // a shell word is text; shellUnquote reads runes
		}
		if got := shellUnquote(shellQuote(s)); got != s {
			t.Fatalf("shellUnquote(shellQuote(%q)) = %q (quoted: %s)", s, got, shellQuote(s))
		}
	})
}
