package main

import (
	"context"
	"net/http"

	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/internal/telemetry"
)

// startTracing sets up tracing from the environment (telemetry.Setup) for a
// long-running command and returns e carrying it, with the function that
// flushes the queued spans when the command ends. Off, e is returned as it
// is and nothing is installed. An Env that already carries tracing (a
// test's) is kept: its owner flushes it.
func startTracing(ctx context.Context, e *cli.Env) (*cli.Env, func(), error) {
	if e.Tracing != nil {
		return e, func() {}, nil
	}
	tr, err := telemetry.Setup(ctx, telemetry.Options{})
	if err != nil {
		return nil, nil, cli.BadInput(err)
	}
	if tr == nil {
		return e, func() {}, nil
	}
	e.Logger.Info("tracing: exporting spans over OTLP")
	traced := *e
	traced.Tracing = tr
	stop := func() {
		// The command's context has ended by now; the flush has its own bound.
		if err := tr.Shutdown(context.WithoutCancel(ctx)); err != nil {
			e.Logger.Warn("tracing: spans lost at exit", "err", err)
		}
	}
	return &traced, stop, nil
}

// tracingHandler is api.Config.Tracing for tr: nil when tracing is off, so
// the API handler is not wrapped at all.
func tracingHandler(tr *telemetry.Tracing) func(http.Handler) http.Handler {
	if tr == nil {
		return nil
	}
	return func(h http.Handler) http.Handler { return tr.Handler(h, "assets") }
}
