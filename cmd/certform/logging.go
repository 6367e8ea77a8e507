package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"k8s.io/klog/v2"
)

// LogEnv sets how much of client-go's own logging certform shows: "warn"
// (the default: its errors, as certform warnings), "info" (also its
// informational lines, such as leader election's), or "debug".
const LogEnv = "CERTFORM_LOG"

// routeKlog sends client-go's klog output (leader election, watch and
// reflector errors, throttling notes) through certform's lines on w, in
// certform's form and at certform's level, instead of klog's own
// "I1201 12:00:00.000000 1 leaderelection.go:258] ..." on stderr.
func routeKlog(w io.Writer) {
	level := logLevel()
	if level < slog.LevelInfo {
		// klog drops V(n) lines above its own -v before any logger sees them.
		fs := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(fs)
		fs.Set("v", "6")
	}
	klog.SetSlogLogger(slog.New(&klogHandler{out: &lockedWriter{w: w}, level: level}))
}

// logLevel is the slog level that LogEnv asks for.
func logLevel() slog.Level {
	switch strings.ToLower(os.Getenv(LogEnv)) {
	case "debug":
		return slog.LevelDebug - 8 // klog's V(n) arrives as level -n
	case "info":
		return slog.LevelInfo
	}
	return slog.LevelError
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) write(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.w, line)
}

// klogHandler writes one "certform: LEVEL: client-go: message (k=v, ...)"
// line per record. An error of client-go's is a warning of certform's:
// client-go retries, and what fails for certform is reported as its error.
type klogHandler struct {
	out   *lockedWriter
	level slog.Level
	attrs []slog.Attr
}

func (h *klogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *klogHandler) Handle(_ context.Context, r slog.Record) error {
	level := "info"
	switch {
	case r.Level >= slog.LevelWarn:
		level = "warning"
	case r.Level < slog.LevelInfo:
		level = "debug"
	}
	var kv []string
	add := func(a slog.Attr) bool {
		kv = append(kv, fmt.Sprintf("%s=%v", a.Key, a.Value.Resolve()))
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	line := "certform: " + level + ": client-go: " + strings.TrimSpace(r.Message)
	if len(kv) > 0 {
		line += " (" + strings.Join(kv, ", ") + ")"
	}
	h.out.write(line + "\n")
	return nil
}

func (h *klogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), attrs...)
	return &c
}

func (h *klogHandler) WithGroup(string) slog.Handler { return h }
