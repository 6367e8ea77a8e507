package views

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/certform/certform/apply"
	"github.com/certform/certform/plan"
)

// ApplyView is how apply shows its plan, its progress and its result:
// for people (HumanApply) or as a stream of JSON lines (JSONApply).
type ApplyView interface {
	Plan(p *plan.Plan)
	Report(ev apply.Event)
	// Remind repeats who must approve what, every interval, until stopped.
	Remind(start time.Time, interval time.Duration) (stop func())
	// Result is the outcome: "complete", "failed" or "interrupted", with
	// how many certificates are issued and pending in state.
	Result(outcome string, issued, pending int, elapsed time.Duration)
}

// HumanApply is the terminal and log rendering.
type HumanApply struct {
	ApplyProgress
	// Command names the run in its closing line: "apply" (the default)
	// or "destroy".
	Command string
}

// Plan renders the plan as plan does.
func (v *HumanApply) Plan(p *plan.Plan) { RenderPlan(v.W, p, v.Col) }

// Result prints the closing line.
func (v *HumanApply) Result(outcome string, issued, pending int, elapsed time.Duration) {
	if v.Command == "destroy" {
		head := map[string]string{"complete": v.Col.Green("Destroy complete!"), "failed": v.Col.Red("Destroy failed."),
			"interrupted": v.Col.Red("Destroy interrupted.")}[outcome]
		v.mu.Lock()
		deleted := v.deleted
		v.mu.Unlock()
		fmt.Fprintf(v.W, "%s %d deleted, in %s.\n", head, deleted, Duration(elapsed))
		return
	}
	head := map[string]string{"complete": v.Col.Green("Apply complete!"), "failed": v.Col.Red("Apply failed."),
		"interrupted": v.Col.Red("Apply interrupted.")}[outcome]
	fmt.Fprintf(v.W, "%s %d issued, %d pending, in %s.\n", head, issued, pending, Duration(elapsed))
}

// JSONApply streams one JSON object per line: a "plan" event, "progress"
// events (address, phase, csr, message, elapsed_ms), and a "result".
type JSONApply struct {
	W  io.Writer
	mu sync.Mutex
}

func (v *JSONApply) emit(m map[string]any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	m["time"] = time.Now().UTC().Format(time.RFC3339Nano)
	json.NewEncoder(v.W).Encode(m)
}

// Plan emits the plan in its --json form.
func (v *JSONApply) Plan(p *plan.Plan) {
	v.emit(map[string]any{"type": "plan", "plan": NewPlanJSON(p)})
}

// Report emits one progress event.
func (v *JSONApply) Report(ev apply.Event) {
	v.emit(map[string]any{"type": "progress", "address": ev.Addr, "phase": ev.Phase, "csr": ev.CSRName,
		"message": ev.Message, "elapsed_ms": ev.Elapsed.Milliseconds()})
}

// Remind does nothing: the progress events already say what waits.
func (v *JSONApply) Remind(time.Time, time.Duration) func() { return func() {} }

// Result emits the outcome.
func (v *JSONApply) Result(outcome string, issued, pending int, elapsed time.Duration) {
	v.emit(map[string]any{"type": "result", "outcome": outcome, "issued": issued, "pending": pending, "elapsed_ms": elapsed.Milliseconds()})
}
