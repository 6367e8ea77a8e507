package views

import (
	"io"
	"os"

	"golang.org/x/term"
)

// Colorizer wraps text in ANSI colours when enabled.
type Colorizer struct{ Enabled bool }

// ColorFor decides whether output to w is coloured: only on a terminal
// that is not TERM=dumb, and never with --no-color or NO_COLOR set.
func ColorFor(w io.Writer, noColor bool) Colorizer {
	f, ok := w.(*os.File)
	return Colorizer{Enabled: colorEnabled(ok && term.IsTerminal(int(f.Fd())), noColor, os.Getenv)}
}

// colorEnabled is ColorFor's decision, given whether the output is a
// terminal and the environment.
func colorEnabled(terminal, noColor bool, getenv func(string) string) bool {
	return terminal && !noColor && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// DumbTerminal reports whether TERM says the terminal can do no more than
// print lines: no colour, no rewriting a line in place.
func DumbTerminal() bool { return os.Getenv("TERM") == "dumb" }

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
