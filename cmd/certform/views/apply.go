package views

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/certform/certform/apply"
)

// ApplyProgress prints apply events as lines, safe for concurrent use.
type ApplyProgress struct {
	W   io.Writer
	Col Colorizer
	// InPlace rewrites the waiting reminder on its own line instead of
	// adding a line every interval: set it only when W is a terminal.
	InPlace bool

	mu       sync.Mutex
	awaiting map[string]string // address → CSR waiting for a person's approval
	shown    bool              // an in-place reminder is on the last line
	deleted  int               // certificate addresses deleted
}

// Remind prints, every interval until the returned stop is called, which
// CSRs still wait for approval and the command that approves them.
func (v *ApplyProgress) Remind(start time.Time, interval time.Duration) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				v.mu.Lock()
				v.clearReminder()
				v.mu.Unlock()
				return
			case <-t.C:
				v.remind(time.Since(start))
			}
		}
	}()
	var once sync.Once
	// stop returns once the reminder line is cleared, so that what
	// follows is not written after a stale reminder.
	return func() {
		once.Do(func() {
			close(done)
			<-finished
		})
	}
}

// clearReminder erases an in-place reminder, so the next line starts at
// the left margin of an empty line. v.mu is held.
func (v *ApplyProgress) clearReminder() {
	if v.shown {
		fmt.Fprint(v.W, "\r\x1b[K")
		v.shown = false
	}
}

func (v *ApplyProgress) remind(elapsed time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.awaiting) == 0 {
		return
	}
	names := make([]string, 0, len(v.awaiting))
	for _, n := range v.awaiting {
		names = append(names, n)
	}
	slices.Sort(names)
	line := fmt.Sprintf("still waiting for approval of %d CSR(s) after %s: kubectl certificate approve %s",
		len(names), elapsed.Round(time.Second), strings.Join(names, " "))
	if v.InPlace {
		v.clearReminder()
		fmt.Fprint(v.W, line)
		v.shown = true
		return
	}
	fmt.Fprintln(v.W, line)
}

// Report prints one event.
func (v *ApplyProgress) Report(ev apply.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.awaiting == nil {
		v.awaiting = map[string]string{}
	}
	v.clearReminder()
	if ev.Phase == apply.PhaseAwaitApproval {
		v.awaiting[ev.Addr] = ev.CSRName
	} else if ev.Phase != apply.PhaseSubmitted {
		delete(v.awaiting, ev.Addr)
	}
	if ev.Phase == apply.PhaseDeleted && ev.Message == "" {
		v.deleted++
	}
	addr := v.Col.Bold(ev.Addr)
	switch ev.Phase {
	case apply.PhaseStart:
		fmt.Fprintf(v.W, "%s: %s...\n", addr, map[string]string{"create": "issuing", "renew": "renewing", "replace": "replacing"}[ev.Message])
	case apply.PhaseSubmitted:
		if ev.Message != "" {
			fmt.Fprintf(v.W, "%s: %s: CSR %s\n", addr, ev.Message, ev.CSRName)
		} else {
			fmt.Fprintf(v.W, "%s: submitted CSR %s\n", addr, ev.CSRName)
		}
	case apply.PhaseApproved:
		fmt.Fprintf(v.W, "%s: approved CSR %s (self_approve)\n", addr, ev.CSRName)
	case apply.PhaseAwaitApproval:
		fmt.Fprintf(v.W, "%s: waiting for approval of CSR %s; to approve it:\n    %s\n", addr, ev.CSRName, ev.Message)
	case apply.PhaseAwaitSigner:
		fmt.Fprintf(v.W, "%s: CSR %s %s\n", addr, ev.CSRName, ev.Message)
	case apply.PhaseIssued:
		fmt.Fprintf(v.W, "%s: %s after %s (%s)\n", addr, v.Col.Green("issued"), Duration(ev.Elapsed), ev.Message)
	case apply.PhaseUpdated:
		fmt.Fprintf(v.W, "%s: %s%s\n", addr, v.Col.Yellow("updated"), parenthesized(ev.Message))
	case apply.PhaseDeleted:
		fmt.Fprintf(v.W, "%s: %s%s\n", addr, v.Col.Red("deleted"), spaced(ev.Message))
	case apply.PhaseMoved, apply.PhaseForgotten, apply.PhaseImported:
		fmt.Fprintf(v.W, "%s: %s\n", addr, ev.Message) // the message starts with what happened
	case apply.PhasePublished:
		fmt.Fprintf(v.W, "%s: %s%s\n", addr, v.Col.Green("published"), spaced(ev.Message))
	case apply.PhasePending:
		fmt.Fprintf(v.W, "%s: CSR %s %s\n", addr, ev.CSRName, ev.Message)
	case apply.PhaseAfterChange:
		fmt.Fprintf(v.W, "%s: %s\n", addr, ev.Message)
	case apply.PhaseWarning:
		fmt.Fprintf(v.W, "%s: %s %s\n", addr, v.Col.Yellow("warning:"), ev.Message)
	case apply.PhaseFailed:
		fmt.Fprintf(v.W, "%s: %s %s\n", addr, v.Col.Red("failed:"), ev.Message)
	}
}

// Duration shows a time taken: milliseconds under a second (a wait of
// 300 ms is not "0s"), else rounded to the millisecond.
func Duration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return d.Round(time.Millisecond).String()
}

func parenthesized(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func spaced(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}
