package approver

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestLatencyHistogram: buckets are cumulative, +Inf holds every
// observation, and each verdict has its own series.
func TestLatencyHistogram(t *testing.T) {
	m := &Metrics{}
	for _, d := range []time.Duration{300 * time.Microsecond, 3 * time.Millisecond, 3 * time.Millisecond, 20 * time.Second} {
		m.observe(Approve, d)
	}
	m.observe(Deny, 70*time.Millisecond)
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`certform_approver_decision_duration_seconds_bucket{verdict="approve",le="0.0005"} 1`,
		`certform_approver_decision_duration_seconds_bucket{verdict="approve",le="0.0025"} 1`,
		`certform_approver_decision_duration_seconds_bucket{verdict="approve",le="0.005"} 3`,
		`certform_approver_decision_duration_seconds_bucket{verdict="approve",le="10"} 3`,
		`certform_approver_decision_duration_seconds_bucket{verdict="approve",le="+Inf"} 4`,
		`certform_approver_decision_duration_seconds_count{verdict="approve"} 4`,
		`certform_approver_decision_duration_seconds_bucket{verdict="deny",le="0.05"} 0`,
		`certform_approver_decision_duration_seconds_bucket{verdict="deny",le="0.1"} 1`,
		`certform_approver_decision_duration_seconds_count{verdict="skip"} 0`,
		"# TYPE certform_approver_decision_duration_seconds histogram",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	var nilMetrics *Metrics
	nilMetrics.observe(Approve, time.Second) // counts nothing, and does not panic
}
