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

	mu       sync.Mutex
	awaiting map[string]string // address → CSR waiting for a person's approval
}

// Remind prints, every interval until the returned stop is called, which
// CSRs still wait for approval and the command that approves them.
func (v *ApplyProgress) Remind(start time.Time, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				v.remind(time.Since(start))
			}
		}
	}()
	return func() { close(done) }
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
	fmt.Fprintf(v.W, "still waiting for approval of %d CSR(s) after %s: kubectl certificate approve %s\n",
		len(names), elapsed.Round(time.Second), strings.Join(names, " "))
}

// Report prints one event.
func (v *ApplyProgress) Report(ev apply.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.awaiting == nil {
		v.awaiting = map[string]string{}
	}
	if ev.Phase == apply.PhaseAwaitApproval {
		v.awaiting[ev.Addr] = ev.CSRName
	} else if ev.Phase != apply.PhaseSubmitted {
		delete(v.awaiting, ev.Addr)
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
		fmt.Fprintf(v.W, "%s: %s after %s (%s)\n", addr, v.Col.Green("issued"), ev.Elapsed.Round(time.Millisecond), ev.Message)
	case apply.PhaseUpdated:
		fmt.Fprintf(v.W, "%s: %s\n", addr, v.Col.Yellow("files updated"))
	case apply.PhaseDeleted:
		fmt.Fprintf(v.W, "%s: %s\n", addr, v.Col.Red("deleted"))
	case apply.PhaseMoved, apply.PhaseForgotten, apply.PhaseImported:
		fmt.Fprintf(v.W, "%s: %s\n", addr, ev.Message) // the message starts with what happened
	case apply.PhasePending:
		fmt.Fprintf(v.W, "%s: CSR %s %s\n", addr, ev.CSRName, ev.Message)
	case apply.PhaseWarning:
		fmt.Fprintf(v.W, "%s: %s %s\n", addr, v.Col.Yellow("warning:"), ev.Message)
	case apply.PhaseFailed:
		fmt.Fprintf(v.W, "%s: %s %s\n", addr, v.Col.Red("failed:"), ev.Message)
	}
}
