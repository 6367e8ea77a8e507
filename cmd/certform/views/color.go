package views

import (
	"io"
	"os"

	"golang.org/x/term"
)

// Colorizer wraps text in ANSI colours when enabled.
type Colorizer struct{ Enabled bool }

// ColorFor decides whether output to w is coloured: only on a terminal, and
// never with --no-color or NO_COLOR set.
func ColorFor(w io.Writer, noColor bool) Colorizer {
	if noColor || os.Getenv("NO_COLOR") != "" {
		return Colorizer{}
	}
	f, ok := w.(*os.File)
	if !ok {
		return Colorizer{}
	}
	return Colorizer{Enabled: term.IsTerminal(int(f.Fd()))}
}

func (c Colorizer) wrap(code, s string) string {
	if !c.Enabled || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Green, Yellow, Red, Bold and Dim colour s.
func (c Colorizer) Green(s string) string  { return c.wrap("32", s) }
func (c Colorizer) Yellow(s string) string { return c.wrap("33", s) }
func (c Colorizer) Red(s string) string    { return c.wrap("31", s) }
func (c Colorizer) Bold(s string) string   { return c.wrap("1", s) }
func (c Colorizer) Dim(s string) string    { return c.wrap("2", s) }
