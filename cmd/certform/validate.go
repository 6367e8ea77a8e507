package main

import (
	"context"
	"fmt"

	"github.com/certform/certform/state"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func init() { state.Version = version }

func runValidate(ctx context.Context, g *GlobalOptions, args []string, s Streams) (int, error) {
	fs := newFlagSet("validate", g, s)
	if err := fs.Parse(args); err != nil {
		return exitError, err
	}
	w, err := openWorkspace(g, s)
	if err != nil {
		return exitError, err
	}
	fmt.Fprintf(s.Out, "The configuration is valid: %d certificate(s).\n", len(w.cfg.Certificates))
	return exitOK, nil
}

func runVersion(ctx context.Context, g *GlobalOptions, args []string, s Streams) (int, error) {
	fmt.Fprintf(s.Out, "certform %s (state format %d)\n", version, state.FormatVersion)
	return exitOK, nil
}
