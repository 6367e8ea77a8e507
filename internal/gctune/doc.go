// Package gctune sets the Go collector for a certform run: a run lasts
// seconds, so it trades memory for CPU up to a soft limit. The command
// calls Tune at start and Fit once the configuration is loaded; the
// benchmarks call them too, so that what they measure in process is what
// the binary does.
package gctune
