package approver

import (
	"fmt"
	"net/http"
	"sync"
)

// Metrics counts decisions and serves them in Prometheus' text format.
// A nil *Metrics counts nothing.
type Metrics struct {
	mu       sync.Mutex
	verdicts map[Verdict]int64
	errors   int64
	leader   bool
}

func (m *Metrics) count(v Verdict, err error) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.verdicts == nil {
		m.verdicts = map[Verdict]int64{}
	}
	m.verdicts[v]++
	if err != nil {
		m.errors++
	}
}

// SetLeader records whether this replica currently decides.
func (m *Metrics) SetLeader(leader bool) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.leader = leader
	m.mu.Unlock()
}

// ServeHTTP writes the counters.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintln(w, "# HELP certform_approver_decisions_total CSRs evaluated, by verdict.")
	fmt.Fprintln(w, "# TYPE certform_approver_decisions_total counter")
	for _, v := range []Verdict{Approve, Deny, Skip} {
		fmt.Fprintf(w, "certform_approver_decisions_total{verdict=%q} %d\n", v, m.verdicts[v])
	}
	fmt.Fprintln(w, "# HELP certform_approver_errors_total Decisions that could not be written.")
	fmt.Fprintln(w, "# TYPE certform_approver_errors_total counter")
	fmt.Fprintf(w, "certform_approver_errors_total %d\n", m.errors)
	fmt.Fprintln(w, "# HELP certform_approver_leader 1 while this replica holds the lease and decides.")
	fmt.Fprintln(w, "# TYPE certform_approver_leader gauge")
	leader := 0
	if m.leader {
		leader = 1
	}
	fmt.Fprintf(w, "certform_approver_leader %d\n", leader)
}
