package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SyncStats reports the sync backlog (pending outbox rows) and the age of
// the oldest pending change, for the sync gauges.
type SyncStats func(ctx context.Context) (backlog int64, lag time.Duration, err error)

// methodLabel is the method as a label value from a closed set: a client
// cannot add series by inventing methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// metrics are the server's collectors, registered on the Registerer of its
// Config (never on a global one).
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	// authLookups counts the authorization cache's answers by kind (token,
	// scope) and result (hit, miss); authListening is 1 while the cache is
	// on (its listener heard its probe).
	authLookups   *prometheus.CounterVec
	authListening prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, stats SyncStats, log *slog.Logger) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "assets_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "assets_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "assets_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		authLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "assets_auth_cache_lookups_total",
			Help: "Tokens and scopes the authorization cache was asked for, by kind and result (hit, miss); none when the cache is off.",
		}, []string{"kind", "result"}),
		authListening: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "assets_auth_cache_listening",
			Help: "1 while the authorization cache is on: its listener hears the database's change notifications.",
		}),
	}
	cs := []prometheus.Collector{m.requests, m.duration, m.inFlight, m.authLookups, m.authListening}
	if stats != nil {
		cs = append(cs, &syncCollector{
			stats:   stats,
			log:     log,
			backlog: prometheus.NewDesc("assets_sync_backlog", "Changes committed to PostgreSQL and not yet in Elasticsearch.", nil, nil),
			lag:     prometheus.NewDesc("assets_sync_lag_seconds", "Age of the oldest change not yet in Elasticsearch (0 when none).", nil, nil),
		})
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// syncCollector asks for the sync stats once per scrape and reports both
// gauges from that one answer.
type syncCollector struct {
	stats        SyncStats
	log          *slog.Logger
	backlog, lag *prometheus.Desc
}

func (c *syncCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.backlog
	ch <- c.lag
}

func (c *syncCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, lag, err := c.stats(ctx)
	if err != nil {
		c.log.Warn("reading sync stats for metrics", "error", err)
		ch <- prometheus.NewInvalidMetric(c.backlog, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, lag.Seconds())
}
