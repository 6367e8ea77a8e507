package views

import (
	"testing"
	"time"
)

// TestDaysLeft: the last day is counted in hours and a past expiry says
// so, where "%.1f" printed 0.0 and -0.0.
func TestDaysLeft(t *testing.T) {
	cases := map[string]struct {
		left time.Duration
		want string
	}{
		"days":              {36 * time.Hour, "1.5"},
		"last day":          {23*time.Hour + 59*time.Minute, "23h"},
		"last hour":         {59 * time.Minute, "<1h"},
		"just expired":      {-time.Second, "expired"},
		"expiring this now": {0, "expired"},
		"long expired":      {-72 * time.Hour, "expired"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := DaysLeft(tc.left); got != tc.want {
				t.Errorf("DaysLeft(%s) = %q, want %q", tc.left, got, tc.want)
			}
		})
	}
}
