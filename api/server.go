// Package api is the HTTP layer: the Inventory Assets REST API (JSON:API)
// at tenant, group and org scope, its OpenAPI description, health checks
// and metrics. Writes go to PostgreSQL (store); lists, searches and facets
// read Elasticsearch (index).
package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/go-fuego/fuego"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openinventory/assets/explorer"
	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

// Config is what a Server needs. Pool and Index are required.
type Config struct {
	Pool  *pgxpool.Pool
	Index *index.Client
	// Logger receives the request log and errors; nil discards.
	Logger *slog.Logger
	// Registerer receives the metrics; Gatherer serves /metrics. When
	// Gatherer is nil and Registerer is a *prometheus.Registry, that
	// registry is used; when both are nil, the server has its own.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// SyncStats feeds the sync backlog and lag gauges; nil reads the
	// outbox with store.Backlog.
	SyncStats SyncStats

	// SearchTTL is how long a stored search lives (SearchTTLDefault).
	SearchTTL time.Duration
	// MaxSearchesPerToken and MaxSearchesPerTenant cap the live stored
	// searches, each holding an Elasticsearch point in time (defaults
	// MaxSearchesPerTokenDefault, MaxSearchesPerTenantDefault).
	MaxSearchesPerToken  int
	MaxSearchesPerTenant int
	// CursorKey signs cursors (at least CursorKeyMinBytes); replicas must
	// share it (see LoadCursorKey). Empty: a random key for this process
	// alone, whose cursors no other process accepts.
	CursorKey []byte
	// MaxBodyBytes bounds request bodies (default 1 MiB).
	MaxBodyBytes int64
	// RequestTimeout bounds the work of one request (default 30 seconds).
	RequestTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown of Run (default 20 s).
	ShutdownTimeout time.Duration
	// FilterCostMax bounds the rsql.Cost of one filter (default
	// rsql.CostMaxDefault); a costlier filter is a 400.
	FilterCostMax int
	// GroupValuesMaxBuckets bounds the distinct values one group values
	// request collects (default index.GroupValuesMaxBucketsDefault).
	GroupValuesMaxBuckets int
	// FilterValuesMaxPages bounds the aggregation pages one filter values
	// request reads (default index.FilterValuesMaxPagesDefault).
	FilterValuesMaxPages int
	// SearchableWaitMax bounds the wait a PATCH may ask for with
	// Prefer: wait-for=searchable, wait=N (default SearchableWaitMaxDefault).
	SearchableWaitMax time.Duration
	// ExportPageSize is the assets an export reads per page (default
	// index.ExportPageSizeDefault); ExportTimeout bounds one export
	// (default ExportTimeoutDefault); ExportMaxConcurrent bounds the
	// exports streamed at once (default ExportMaxConcurrentDefault).
	ExportPageSize      int
	ExportTimeout       time.Duration
	ExportMaxConcurrent int

	// RateLimit is the sustained requests per second of one token, and of
	// one client address for requests without a valid token; 0 disables
	// limiting. Buckets are per Server (per replica).
	RateLimit float64
	// RateBurst is the bucket size (default RateBurstDefault).
	RateBurst int
	// RateLimitKeys bounds the buckets kept per kind (default
	// RateLimitKeysDefault).
	RateLimitKeys int
	// TrustProxy says a proxy sets the X-Forwarded-* headers: the client
	// address for rate limiting is the last X-Forwarded-For entry, and links
	// (without PublicURL) use X-Forwarded-Proto and X-Forwarded-Host. Only
	// behind a proxy that sets them, or clients choose them.
	TrustProxy bool
	// TrustForwardedFor is the former name of TrustProxy; either turns on
	// both uses.
	//
	// Deprecated: use TrustProxy.
	TrustForwardedFor bool
	// PublicURL is the base of every link and Location, e.g.
	// https://assets.example.com (see ParsePublicURL). Empty: the
	// request's scheme and host.
	PublicURL string

	// AuthCacheTTL is how long tokens and scopes read for authorization are
	// reused (see AuthCacheTTLDefault), while WatchAuth runs; 0 reads them
	// from PostgreSQL on every request.
	AuthCacheTTL time.Duration

	// NoMetricsRoute leaves /metrics off the API handler, for a caller that
	// serves MetricsHandler on a listener of its own.
	NoMetricsRoute bool

	// Tracing, when set, wraps the whole handler: a span per request (the
	// commands pass telemetry's Handler). Nil wraps nothing, so tracing off
	// costs nothing.
	Tracing func(http.Handler) http.Handler
}

// Server serves the API. Its Handler is safe for concurrent use.
type Server struct {
	cfg      Config
	pool     *pgxpool.Pool
	index    *index.Client
	log      *slog.Logger
	metrics  *metrics
	gatherer prometheus.Gatherer
	cursors  cursorKey
	fuego    *fuego.Server
	limits   *limiter   // nil when rate limiting is off
	auth     *authCache // nil when the authorization cache is off
	handler  http.Handler
	exports  chan struct{} // a slot per export streaming now
	// afterExportPage, when set (by tests), sees each export page before
	// it is sent.
	afterExportPage func(index.ExportPage)
}

// New builds a Server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Pool == nil {
		return nil, errors.New("api: Config.Pool is required")
	}
	if cfg.Index == nil {
		return nil, errors.New("api: Config.Index is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.SearchTTL <= 0 {
		cfg.SearchTTL = SearchTTLDefault
	}
	if cfg.MaxSearchesPerToken <= 0 {
		cfg.MaxSearchesPerToken = MaxSearchesPerTokenDefault
	}
	if cfg.MaxSearchesPerTenant <= 0 {
		cfg.MaxSearchesPerTenant = MaxSearchesPerTenantDefault
	}
	cursors, err := newCursorKey(cfg.CursorKey)
	if err != nil {
		return nil, fmt.Errorf("api: Config.CursorKey: %w", err)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 20 * time.Second
	}
	cfg.FilterCostMax = positiveOr(cfg.FilterCostMax, rsql.CostMaxDefault)
	cfg.GroupValuesMaxBuckets = positiveOr(cfg.GroupValuesMaxBuckets, index.GroupValuesMaxBucketsDefault)
	cfg.FilterValuesMaxPages = positiveOr(cfg.FilterValuesMaxPages, index.FilterValuesMaxPagesDefault)
	if cfg.SearchableWaitMax <= 0 {
		cfg.SearchableWaitMax = SearchableWaitMaxDefault
	}
	cfg.ExportPageSize = positiveOr(cfg.ExportPageSize, index.ExportPageSizeDefault)
	cfg.ExportMaxConcurrent = positiveOr(cfg.ExportMaxConcurrent, ExportMaxConcurrentDefault)
	if cfg.ExportTimeout <= 0 {
		cfg.ExportTimeout = ExportTimeoutDefault
	}
	if cfg.SyncStats == nil {
		pool := cfg.Pool
		cfg.SyncStats = func(ctx context.Context) (int64, time.Duration, error) { return store.Backlog(ctx, pool) }
	}
	reg, gat := cfg.Registerer, cfg.Gatherer
	if reg == nil && gat == nil {
		r := prometheus.NewRegistry()
		reg, gat = r, r
	}
	if gat == nil {
		if g, ok := reg.(prometheus.Gatherer); ok {
			gat = g
		} else {
			return nil, errors.New("api: Config.Gatherer is required when Registerer is not a Gatherer")
		}
	}
	if reg == nil {
		reg = prometheus.NewRegistry() // metrics still count, unexported
	}
	m, err := newMetrics(reg, cfg.SyncStats, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("registering metrics: %w", err)
	}
	cfg.TrustProxy = cfg.TrustProxy || cfg.TrustForwardedFor
	fixed, err := ParsePublicURL(cfg.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("api: Config.PublicURL: %w", err)
	}
	public := publicBase{fixed: fixed, trustProxy: cfg.TrustProxy}
	s := &Server{cfg: cfg, pool: cfg.Pool, index: cfg.Index, log: cfg.Logger, metrics: m, gatherer: gat, cursors: cursors}
	if cfg.AuthCacheTTL > 0 {
		s.auth = newAuthCache(cfg.AuthCacheTTL, m)
	}
	if cfg.RateLimit > 0 {
		if s.limits, err = newLimiter(cfg.RateLimit, cfg.RateBurst, cfg.RateLimitKeys, cfg.TrustProxy); err != nil {
			return nil, err
		}
	}
	s.exports = make(chan struct{}, cfg.ExportMaxConcurrent)
	if s.fuego, err = s.routes(); err != nil {
		return nil, err
	}
	mux := s.fuego.Mux
	mux.Handle("/", s.notFoundHandler(mux))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET "+explorer.Prefix, explorer.Handler())
	if !cfg.NoMetricsRoute {
		mux.Handle("GET /metrics", s.MetricsHandler())
	}
	known := newKnownParams(s.fuego.OpenAPI.Description())
	// The cursor key goes outside wrap, which reads the route pattern the
	// mux sets on its request.
	if s.handler, err = compress(public.bind(s.cursors.bind(s.wrap(checkParams(known, mux, mux))))); err != nil {
		return nil, err
	}
	if cfg.Tracing != nil {
		s.handler = cfg.Tracing(s.handler)
	}
	return s, nil
}

// MetricsHandler serves the Prometheus metrics of the Server's Gatherer.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{ErrorLog: slogPrinter{s.log}})
}

// Handler is the whole API as an http.Handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.handler }

// HTTPServer returns an http.Server for the handler with sane timeouts.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      s.cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Run serves on addr until ctx ends, then shuts down gracefully: it stops
// accepting connections and waits (up to ShutdownTimeout) for requests in
// flight.
func (s *Server) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.HTTPServer(ln.Addr().String())
	errc := make(chan error, 1)
	// Logged once, here: the port is bound, and its real address known.
	s.log.Info("serving the API", "addr", "http://"+ln.Addr().String()+"/rest")
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	s.log.Info("shutting down the API")
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving HTTP: %w", err)
	}
	return nil
}

// slogPrinter adapts the logger to promhttp's ErrorLog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Warn(fmt.Sprint(v...)) }
