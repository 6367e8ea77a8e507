package approver

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Metrics counts decisions, times them, and serves both in Prometheus'
// text format. A nil *Metrics counts nothing.
type Metrics struct {
	mu       sync.Mutex
	verdicts map[Verdict]int64
	errors   int64
	leader   bool
	latency  map[Verdict]*histogram
}

// latencyBuckets are the upper bounds, in seconds, of the decision latency
// histogram: from a cache hit (well under a millisecond) to an apiserver
// that is struggling.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// histogram is a cumulative Prometheus histogram.
type histogram struct {
	counts []int64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      int64
}

func (h *histogram) add(seconds float64) {
	if h.counts == nil {
		h.counts = make([]int64, len(latencyBuckets)+1)
	}
	i := 0
	for i < len(latencyBuckets) && seconds > latencyBuckets[i] {
		i++
	}
	h.counts[i]++
	h.sum += seconds
	h.n++
}

// observe records how long deciding (and writing the decision) took.
func (m *Metrics) observe(v Verdict, d time.Duration) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.latency == nil {
		m.latency = map[Verdict]*histogram{}
	}
	h := m.latency[v]
	if h == nil {
		h = &histogram{}
		m.latency[v] = h
	}
	h.add(d.Seconds())
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
	fmt.Fprintln(w, "# HELP certform_approver_decision_duration_seconds Time from reading a CSR to its decision written, by verdict.")
	fmt.Fprintln(w, "# TYPE certform_approver_decision_duration_seconds histogram")
	for _, v := range []Verdict{Approve, Deny, Skip} {
		h := m.latency[v]
		if h == nil {
			h = &histogram{counts: make([]int64, len(latencyBuckets)+1)}
		}
		var cumulative int64
		for i, le := range latencyBuckets {
			cumulative += h.counts[i]
			fmt.Fprintf(w, "certform_approver_decision_duration_seconds_bucket{verdict=%q,le=%q} %d\n", v, strconv.FormatFloat(le, 'g', -1, 64), cumulative)
		}
		fmt.Fprintf(w, "certform_approver_decision_duration_seconds_bucket{verdict=%q,le=\"+Inf\"} %d\n", v, h.n)
		fmt.Fprintf(w, "certform_approver_decision_duration_seconds_sum{verdict=%q} %g\n", v, h.sum)
		fmt.Fprintf(w, "certform_approver_decision_duration_seconds_count{verdict=%q} %d\n", v, h.n)
	}
}
