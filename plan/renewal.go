package plan

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/certform/certform/config"
)

// RenewalTime is when a certificate valid from notBefore to notAfter, of
// serial number serial (hex, as state records it), enters its renewal
// window under c's settings. With neither renew_before nor
// renew_before_percentage it opens when a third of the lifetime remains.
// With renew_jitter it opens earlier by up to that percentage of the
// lifetime (never before notBefore): how much is chosen from c's address
// and serial, so certificates issued together spread their renewals, and
// every plan of the same state agrees on when.
func RenewalTime(c *config.Certificate, serial string, notBefore, notAfter time.Time) time.Time {
	lifetime := notAfter.Sub(notBefore)
	before := lifetime / 3
	switch {
	case c.RenewBefore > 0:
		before = min(c.RenewBefore, lifetime)
	case c.RenewBeforePercentage > 0:
		before = time.Duration(float64(lifetime) * float64(c.RenewBeforePercentage) / 100)
	}
	if c.RenewJitter > 0 {
		before += time.Duration(float64(lifetime) * float64(c.RenewJitter) / 100 * jitterShare(c.Addr, serial))
	}
	if at := notAfter.Add(-before); at.After(notBefore) {
		return at
	}
	return notBefore
}

// jitterShare is a number in [0, 1) fixed by addr and serial: the share
// of renew_jitter a certificate takes. A reissue (a new serial) draws
// again, so one unlucky certificate does not renew first forever.
func jitterShare(addr, serial string) float64 {
	sum := sha256.Sum256([]byte(addr + "\x00" + serial))
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
}

func checkRenewal(in input, ch *Change) bool {
	p := in.prior
	if p.NotAfter.IsZero() {
		return false
	}
	at := RenewalTime(in.desired, p.SerialNumber, p.NotBefore, p.NotAfter)
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
