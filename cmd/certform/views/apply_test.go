package views

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certform/certform/apply"
)

// TestApplyProgressLines: every event apply reports has a line of its
// own in the text view, saying what happened to what.
func TestApplyProgressLines(t *testing.T) {
	cases := map[string]struct {
		ev   apply.Event
		want string
	}{
		"bundle published": {
			ev:   apply.Event{Addr: "ca_bundle.svc", Phase: apply.PhasePublished, Message: "ConfigMap team-a/service-ca"},
			want: "ca_bundle.svc: published ConfigMap team-a/service-ca\n",
		},
		"bundle target deleted": {
			ev:   apply.Event{Addr: "ca_bundle.svc", Phase: apply.PhaseDeleted, Message: "ConfigMap team-a/service-ca"},
			want: "ca_bundle.svc: deleted ConfigMap team-a/service-ca\n",
		},
		"certificate deleted": {
			ev:   apply.Event{Addr: "certificate.web", Phase: apply.PhaseDeleted},
			want: "certificate.web: deleted\n",
		},
		"secret rewritten": {
			ev:   apply.Event{Addr: "certificate.web", Phase: apply.PhaseUpdated, Message: "secret team-a/web-tls was deleted outside certform"},
			want: "certificate.web: updated (secret team-a/web-tls was deleted outside certform)\n",
		},
		"issued at once": {
			ev:   apply.Event{Addr: "certificate.web", Phase: apply.PhaseIssued, Elapsed: 340 * time.Millisecond, Message: "serial 1f"},
			want: "certificate.web: issued after 340ms (serial 1f)\n",
		},
		"issued after a wait": {
			ev:   apply.Event{Addr: "certificate.web", Phase: apply.PhaseIssued, Elapsed: 2500 * time.Millisecond, Message: "serial 1f"},
			want: "certificate.web: issued after 2.5s (serial 1f)\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			v := &ApplyProgress{W: &out}
			v.Report(tc.ev)
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestReminderInPlace: on a terminal the waiting reminder rewrites its
// own line, and the next event line erases it first; in a log each
// reminder is a line.
func TestReminderInPlace(t *testing.T) {
	waiting := apply.Event{Addr: "certificate.web", Phase: apply.PhaseAwaitApproval, CSRName: "web-1", Message: "kubectl certificate approve web-1"}
	issued := apply.Event{Addr: "certificate.web", Phase: apply.PhaseIssued, Elapsed: 12 * time.Second, Message: "serial 1f"}
	const head = "certificate.web: waiting for approval of CSR web-1; to approve it:\n    kubectl certificate approve web-1\n"
	const reminder = "still waiting for approval of 1 CSR(s) after %s: kubectl certificate approve web-1"
	cases := map[string]struct {
		inPlace bool
		want    string
	}{
		"terminal": {true, head + fmt.Sprintf(reminder, "10s") + "\r\x1b[K" + fmt.Sprintf(reminder, "20s") +
			"\r\x1b[Kcertificate.web: issued after 12s (serial 1f)\n"},
		"log": {false, head + fmt.Sprintf(reminder, "10s") + "\n" + fmt.Sprintf(reminder, "20s") + "\n" +
			"certificate.web: issued after 12s (serial 1f)\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			v := &ApplyProgress{W: &out, InPlace: tc.inPlace}
			v.Report(waiting)
			v.remind(10 * time.Second)
			v.remind(20 * time.Second)
			v.Report(issued)
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestReminderStopClears: stopping the reminder leaves no half line for
// the closing line to be appended to.
func TestReminderStopClears(t *testing.T) {
	var out bytes.Buffer
	v := &ApplyProgress{W: &out, InPlace: true}
	v.Report(apply.Event{Addr: "certificate.web", Phase: apply.PhaseAwaitApproval, CSRName: "web-1"})
	stop := v.Remind(time.Now(), time.Hour)
	v.remind(time.Second)
	stop()
	stop()
	if got := out.String(); !bytes.HasSuffix([]byte(got), []byte("web-1\r\x1b[K")) {
		t.Errorf("the reminder line was not cleared on stop: %q", got)
	}
}
