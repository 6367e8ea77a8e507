package views

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/certform/certform/apply"
)

// ApplyProgress prints apply events as lines, safe for concurrent use.
type ApplyProgress struct {
	W   io.Writer
	Col Colorizer

	mu sync.Mutex
}

// Report prints one event.
func (v *ApplyProgress) Report(ev apply.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	addr := v.Col.Bold(ev.Addr)
	switch ev.Phase {
	case apply.PhaseStart:
		fmt.Fprintf(v.W, "%s: %s...\n", addr, map[string]string{"create": "issuing", "renew": "renewing", "replace": "replacing"}[ev.Message])
	case apply.PhaseSubmitted:
		fmt.Fprintf(v.W, "%s: submitted CSR %s\n", addr, ev.CSRName)
	case apply.PhaseApproved:
		fmt.Fprintf(v.W, "%s: approved CSR %s (self_approve)\n", addr, ev.CSRName)
	case apply.PhaseAwaitApproval:
		fmt.Fprintf(v.W, "%s: waiting for approval of CSR %s; to approve it:\n    %s\n", addr, ev.CSRName, ev.Message)
	case apply.PhaseIssued:
		fmt.Fprintf(v.W, "%s: %s after %s (%s)\n", addr, v.Col.Green("issued"), ev.Elapsed.Round(time.Millisecond), ev.Message)
	case apply.PhaseUpdated:
		fmt.Fprintf(v.W, "%s: %s\n", addr, v.Col.Yellow("files updated"))
	case apply.PhaseDeleted:
		fmt.Fprintf(v.W, "%s: %s\n", addr, v.Col.Red("deleted"))
	case apply.PhasePending:
		fmt.Fprintf(v.W, "%s: CSR %s %s\n", addr, ev.CSRName, ev.Message)
	case apply.PhaseWarning:
		fmt.Fprintf(v.W, "%s: %s %s\n", addr, v.Col.Yellow("warning:"), ev.Message)
	case apply.PhaseFailed:
		fmt.Fprintf(v.W, "%s: %s %s\n", addr, v.Col.Red("failed:"), ev.Message)
	}
}
