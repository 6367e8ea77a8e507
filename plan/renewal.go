package plan

import (
	"fmt"
	"math"
	"time"

	"github.com/certform/certform/config"
)

// RenewalTime is when a certificate valid from notBefore to notAfter enters
// its renewal window under c's settings. With neither renew_before nor
// renew_before_percentage it opens when a third of the lifetime remains.
func RenewalTime(c *config.Certificate, notBefore, notAfter time.Time) time.Time {
	lifetime := notAfter.Sub(notBefore)
	before := lifetime / 3
	switch {
	case c.RenewBefore > 0:
		before = min(c.RenewBefore, lifetime)
	case c.RenewBeforePercentage > 0:
		before = time.Duration(float64(lifetime) * float64(c.RenewBeforePercentage) / 100)
	}
	return notAfter.Add(-before)
}

func checkRenewal(in input, ch *Change) bool {
	p := in.prior
	if p.NotAfter.IsZero() {
		return false
	}
	at := RenewalTime(in.desired, p.NotBefore, p.NotAfter)
	if in.now.Before(at) {
		return false
	}
	ch.Action = Renew
	if !in.now.Before(p.NotAfter) {
		ch.Reasons = []string{fmt.Sprintf("expired %s ago", humanDuration(in.now.Sub(p.NotAfter)))}
	} else {
		ch.Reasons = []string{fmt.Sprintf("expires in %s; the renewal window opened %s ago",
			humanDuration(p.NotAfter.Sub(in.now)), humanDuration(in.now.Sub(at)))}
	}
	return true
}

// humanDuration renders d coarsely: "5d", "7h", "12m", "30s".
func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(math.Round(d.Hours()/24)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%dh", int(math.Round(d.Hours())))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%dm", int(math.Round(d.Minutes())))
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}
