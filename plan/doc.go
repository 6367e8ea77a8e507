// Package plan decides what certform must do: Plan compares the desired
// configuration with the prior state and with what was observed in the
// cluster and on disk, and returns a Plan value. It does no I/O; the clock is
// an argument, so tests can move time.
//
// Each address gets one Action. Reasons explain the action to people and
// are for display only: apply acts on the Action and the recorded values,
// never on the wording of a reason.
package plan
