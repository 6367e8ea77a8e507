package views

import "testing"

// TestColorEnabled: colour only on a terminal, and never with --no-color,
// NO_COLOR or TERM=dumb.
func TestColorEnabled(t *testing.T) {
	cases := map[string]struct {
		terminal, noColor bool
		env               map[string]string
		want              bool
	}{
		"terminal":          {terminal: true, env: map[string]string{"TERM": "xterm-256color"}, want: true},
		"terminal, no TERM": {terminal: true, want: true},
		"not a terminal":    {terminal: false, env: map[string]string{"TERM": "xterm"}},
		"--no-color":        {terminal: true, noColor: true, env: map[string]string{"TERM": "xterm"}},
		"NO_COLOR":          {terminal: true, env: map[string]string{"TERM": "xterm", "NO_COLOR": "1"}},
		"TERM=dumb":         {terminal: true, env: map[string]string{"TERM": "dumb"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := colorEnabled(tc.terminal, tc.noColor, func(k string) string { return tc.env[k] })
			if got != tc.want {
				t.Errorf("colorEnabled = %v, want %v", got, tc.want)
			}
		})
	}
}
