package bench

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/internal/telemetry/otlpreceiver"
)

// tracingName begins the name of the tracing cost row.
const tracingName = "tracing cost: list through the API"

// measureTracing compares the list query through two serve processes alike
// but for tracing: one with no OTEL_ variable at all (nothing installed),
// one exporting every span over OTLP to a receiver in this process that
// discards them. Requests alternate between the two, so the machine's
// load falls on both; the ratio is on / off.
func (r *runner) measureTracing(ctx context.Context) error {
	rec := otlpreceiver.StartDiscarding()
	defer rec.Close()
	off, err := r.startServeChild(ctx, "serve-tracing-off", nil)
	if err != nil {
		return err
	}
	defer r.stopChild(off.child)
	on, err := r.startServeChild(ctx, "serve-tracing-on",
		[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + rec.URL, "OTEL_SERVICE_NAME=assets-bench"})
	if err != nil {
		return err
	}
	defer r.stopChild(on.child)
	listURL := r.api.url("", url.Values{"filter": {listFilter}, "sort": {listSort}, "limit": {strconv.Itoa(listLimit)}})
	get := func(c *apiClient) func(context.Context) error {
		return func(ctx context.Context) error { _, err := c.get(ctx, listURL); return err }
	}
	stats, err := interleave(ctx, r.lim, side{name: "API, tracing on", do: get(on.api)}, side{name: "API, tracing off", do: get(off.api)})
	if err != nil {
		return err
	}
	r.stopChild(on.child) // flushes the spans still queued
	if rec.Requests() == 0 {
		return fmt.Errorf("the traced serve exported no span; see %s", on.child.LogPath)
	}
	r.rep.add(Measurement{
		Name:    tracingName + ", OTLP export on / off",
		Request: fmt.Sprintf("GET .../inventory/assets?filter=%s&sort=%s&limit=%d", listFilter, listSort, listLimit),
		Sides:   stats,
		Note: fmt.Sprintf("two serve processes alike but for OTEL_EXPORTER_OTLP_ENDPOINT; when set, every span (HTTP server, pgx, "+
			"Elasticsearch client) is exported to a receiver in the bench process that discards it (export requests received: %d); ratio = on / off",
			rec.Requests()),
	})
	return nil
}

// serveChild is a serve process of a step's own, with a client for it.
type serveChild struct {
	child *harness.Child
	api   *apiClient
}

// startServeChild starts serve on the benchmark's data with the
// environment of the bench minus every OTEL_ variable, plus extra, and
// waits until it is ready.
func (r *runner) startServeChild(ctx context.Context, name string, extra []string) (*serveChild, error) {
	addr, err := harness.FreeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	env := append(withoutOTEL(os.Environ()),
		"ASSETS_DATABASE_URL="+r.cfg.DatabaseURL,
		"ASSETS_ELASTICSEARCH_URL="+r.cfg.ElasticsearchURL,
		"ASSETS_INDEX="+r.idx.Alias(),
		"ASSETS_LOG_LEVEL=warn", // a request log line each would weigh on both sides alike, and fill the disk
		"ASSETS_RATE_LIMIT=0",
	)
	c, err := harness.Start(harness.Spec{Name: name, Bin: r.cfg.Binary, Args: []string{"serve", "--addr", addr},
		Env: append(env, extra...), Log: filepath.Join(r.cfg.OutDir, "logs", name+".log")})
	if err != nil {
		return nil, err
	}
	if err := harness.WaitReady(ctx, r.es.HTTP, c, "http://"+addr+"/readyz", time.Minute); err != nil {
		r.stopChild(c)
		return nil, err
	}
	api := *r.api
	api.base = "http://" + addr
	api.http = newHTTPClient()
	return &serveChild{child: c, api: &api}, nil
}

// stopChild stops a child of a step; stopping it twice is harmless.
func (r *runner) stopChild(c *harness.Child) {
	if err := c.Stop(30 * time.Second); err != nil {
		r.log.Warn("bench: stopping a child process", "name", c.Name, "err", err)
	}
}

// withoutOTEL is environ without the OpenTelemetry variables, so that a
// child traces only when a step says so, whatever the bench's own
// environment holds.
func withoutOTEL(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "OTEL_") {
			out = append(out, kv)
		}
	}
	return out
}
