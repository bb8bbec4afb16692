package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	assetsync "github.com/openinventory/assets/sync"
)

// newRegistry is the process's metrics registry, with Go runtime and
// process collectors.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// observeSync registers the worker's own metrics (the lag of each change it
// indexed, and the rows it acknowledged) and returns the config hook.
func observeSync(reg prometheus.Registerer, cfg assetsync.WorkerConfig) assetsync.WorkerConfig {
	lag := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "assets_sync_commit_to_index_seconds",
		Help:    "Time from a change's outbox row to Elasticsearch acknowledging it.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	})
	reg.MustRegister(lag)
	cfg.Observe = func(d time.Duration) { lag.Observe(d.Seconds()) }
	return cfg
}

// serveMetrics serves /metrics on addr until ctx ends (for `assets sync`,
// which has no API server).
func serveMetrics(ctx context.Context, addr string, reg *prometheus.Registry) error {
	ln, err := listenMetrics(addr)
	if err != nil {
		return err
	}
	return serveHandler(ctx, nil, ln, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}

func listenMetrics(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for metrics on %s: %w", addr, err)
	}
	return ln, nil
}

// serveHandler serves h as /metrics on ln until ctx ends, and logs (when
// log is not nil) the address, which is bound by then.
func serveHandler(ctx context.Context, log *slog.Logger, ln net.Listener, h http.Handler) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if log != nil {
		log.Info("serving metrics", "addr", "http://"+ln.Addr().String()+"/metrics")
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving metrics: %w", err)
	}
	return nil
}
