package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/openinventory/assets/internal/telemetry"
	"github.com/openinventory/assets/internal/telemetry/otlpreceiver"
)

// BenchmarkServeListTracing is one list request through serve, over
// loopback, with tracing off (no endpoint: nothing installed) and on (every
// span exported to a receiver in this process that discards them). The
// allocations are the whole process's: client, server and exporter.
func BenchmarkServeListTracing(b *testing.B) {
	e, tenant, token := tracedEnv(b)
	rec := otlpreceiver.StartDiscarding()
	b.Cleanup(rec.Close) // after the flush below: cleanups run last first
	off := startServe(b, e)
	tr, err := telemetry.Setup(context.Background(), telemetry.Options{EndpointURL: rec.TracesURL})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	traced := *e
	traced.Tracing = tr
	on := startServe(b, &traced)
	client := &http.Client{}
	for _, side := range []struct{ name, base string }{{"off", off}, {"on", on}} {
		b.Run(side.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				list(b, client, side.base, tenant, token, nil)
			}
		})
	}
}
