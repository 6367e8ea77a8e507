package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/klog/v2"
)

// LogEnv sets how much certform logs: "warn" (the default: client-go's
// errors, as certform warnings), "info" (also client-go's informational
// lines, such as leader election's), or "debug" (also certform's own
// steps and client-go's requests, by method, URL and status).
const LogEnv = "CERTFORM_LOG"

// LogPathEnv names a file the log is appended to instead of stderr
// (created 0600); certform's errors and warnings stay on stderr.
const LogPathEnv = "CERTFORM_LOG_PATH"

// logger is certform's own debug log; it discards unless LogEnv is debug.
// Atomic: a run's signal goroutine may still log while the next in-process
// run (the tests) sets it up.
var logger atomic.Pointer[slog.Logger]

func init() { logger.Store(slog.New(discardHandler{})) }

// setupLogging routes the log (client-go's and certform's own) to stderr
// or the LogPathEnv file, and returns what closes that file.
func setupLogging(stderr io.Writer) (func(), error) {
	w, closeLog := stderr, func() {}
	if path := os.Getenv(LogPathEnv); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return closeLog, withHint(fmt.Errorf("opening the log file: %w", err), "point "+LogPathEnv+" at a writable file, or unset it")
		}
		w, closeLog = f, func() { f.Close() }
	}
	out := &lockedWriter{w: w}
	routeKlogTo(out)
	l := slog.New(discardHandler{})
	if logLevel() < slog.LevelInfo {
		l = slog.New(&klogHandler{out: out, level: slog.LevelDebug, prefix: "certform: "})
	}
	logger.Store(l)
	return closeLog, nil
}

// debugf logs one of certform's own steps when LogEnv is debug. Never pass
// it key material: a PEM private key is redacted on the way out, but raw
// key bytes cannot be told from other data.
func debugf(format string, args ...any) {
	if l := logger.Load(); l.Enabled(context.Background(), slog.LevelDebug) {
		l.Debug(fmt.Sprintf(format, args...))
	}
}

// discardHandler drops every record.
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }

// routeKlog sends client-go's klog output (leader election, watch and
// reflector errors, throttling notes) through certform's lines on w, in
// certform's form and at certform's level, instead of klog's own
// "I1201 12:00:00.000000 1 leaderelection.go:258] ..." on stderr.
func routeKlog(w io.Writer) { routeKlogTo(&lockedWriter{w: w}) }

func routeKlogTo(out *lockedWriter) {
	level := logLevel()
	if level < slog.LevelInfo {
		// klog drops V(n) lines above its own -v before any logger sees them.
		fs := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(fs)
		fs.Set("v", "6")
	}
	klog.SetSlogLogger(slog.New(&klogHandler{out: out, level: level, prefix: "certform: ", source: "client-go: "}))
}

// maxKlogVerbosity is the most detailed client-go log level certform ever
// shows, V(6): requests by method, URL and status, never their bodies.
const maxKlogVerbosity = slog.Level(-6)

// logLevel is the slog level that LogEnv asks for.
func logLevel() slog.Level {
	switch strings.ToLower(os.Getenv(LogEnv)) {
	case "debug":
		// klog's V(n) arrives as level -n, and client-go's contextual
		// loggers reach the handler without klog's -v filter: V(6) is a
		// request's method, URL and status; V(7) adds headers and V(8)
		// bodies, which hold Secrets' private keys.
		return maxKlogVerbosity
	case "info":
		return slog.LevelInfo
	}
	return slog.LevelError
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// write writes one log line, a private key in it redacted: nothing
// certform logs should hold one, and this keeps a mistake out of the log.
func (l *lockedWriter) write(line string) {
	line = privateKeyPEM.ReplaceAllString(line, "[redacted private key]")
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.w, line)
}

// privateKeyPEM matches a PEM private key block, or what is left of one.
var privateKeyPEM = regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----(?s:.*?)(-----END [A-Z ]*PRIVATE KEY-----|$)`)

// klogHandler writes one "certform: LEVEL: client-go: message (k=v, ...)"
// line per record. An error of client-go's is a warning of certform's:
// client-go retries, and what fails for certform is reported as its error.
type klogHandler struct {
	out    *lockedWriter
	level  slog.Level
	prefix string // "certform: ", before the level
	source string // "client-go: ", after it
	attrs  []slog.Attr
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
	line := h.prefix + level + ": " + h.source + strings.TrimSpace(r.Message)
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
