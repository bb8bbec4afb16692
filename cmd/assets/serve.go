package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	conc "github.com/sourcegraph/conc/pool"
	"github.com/spf13/cobra"

	"github.com/openinventory/assets/api"
	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
	assetsync "github.com/openinventory/assets/sync"
)

// serveOptions are serve's flags.
type serveOptions struct {
	addr, metricsAddr string
	withSync          bool
	workers           int
	searchTTL         time.Duration
	authCacheTTL      time.Duration
	rateLimit         float64
	rateBurst         int
	rateKeys          int
	trustXFF          bool
	trustProxy        bool
	publicURL         string
	filterCostMax     int
	groupValuesMax    int
	filterValuesPages int
	searchableWaitMax time.Duration
	exportPageSize    int
	exportTimeout     time.Duration
	exportConcurrent  int
	searches          searchFlags
}

// serveEnv maps serve's flags to the environment variables that set them
// when the flag is not given.
var serveEnv = [...]struct{ flag, env string }{
	{"addr", "ASSETS_ADDR"},
	{"metrics-addr", "ASSETS_METRICS_ADDR"},
	{"rate-limit", "ASSETS_RATE_LIMIT"},
	{"rate-burst", "ASSETS_RATE_BURST"},
	{"rate-limit-keys", "ASSETS_RATE_LIMIT_KEYS"},
	{"trust-forwarded-for", "ASSETS_TRUST_FORWARDED_FOR"},
	{"trust-proxy", "ASSETS_TRUST_PROXY"},
	{"public-url", "ASSETS_PUBLIC_URL"},
	{"filter-cost-max", "ASSETS_FILTER_COST_MAX"},
	{"group-values-max-buckets", "ASSETS_GROUP_VALUES_MAX_BUCKETS"},
	{"filter-values-max-pages", "ASSETS_FILTER_VALUES_MAX_PAGES"},
	{"searchable-wait-max", "ASSETS_SEARCHABLE_WAIT_MAX"},
	{"export-page-size", "ASSETS_EXPORT_PAGE_SIZE"},
	{"export-timeout", "ASSETS_EXPORT_TIMEOUT"},
	{"export-max-concurrent", "ASSETS_EXPORT_MAX_CONCURRENT"},
	{"max-searches-per-token", "ASSETS_MAX_SEARCHES_PER_TOKEN"},
	{"max-searches-per-tenant", "ASSETS_MAX_SEARCHES_PER_TENANT"},
	{"auth-cache-ttl", "ASSETS_AUTH_CACHE_TTL"},
}

func newServeCmd(e *cli.Env) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve [--with-sync] [--addr HOST:PORT] [--metrics-addr HOST:PORT]",
		Short: "Serve the Inventory Assets API (optionally with the sync worker in-process)",
		Long: `serve migrates the database, then serves the API under /rest, the OpenAPI document at
/rest/openapi.json (browsable at /rest/docs/), the explorer at /explorer/, /healthz,
/readyz and Prometheus /metrics (on --metrics-addr instead, when given). With --with-sync
it also runs the sync worker in the same process. SIGINT/SIGTERM shut it down gracefully.

Each flag not given is read from its environment variable: ` + envNames() + `.

With OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, it traces each
request (HTTP, PostgreSQL, Elasticsearch) and exports the spans over OTLP/HTTP; without, no
tracing is installed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, fe := range serveEnv {
				if v := os.Getenv(fe.env); v != "" && !cmd.Flags().Changed(fe.flag) {
					if err := cmd.Flags().Set(fe.flag, v); err != nil {
						return cli.BadInput(fmt.Errorf("%s=%q: %w", fe.env, v, err))
					}
				}
			}
			if o.authCacheTTL < 0 {
				return cli.BadInput(fmt.Errorf("--auth-cache-ttl cannot be negative (0 turns the cache off)"))
			}
			if o.rateLimit < 0 || o.rateBurst < 0 || o.rateKeys < 0 {
				return cli.BadInput(fmt.Errorf("--rate-limit, --rate-burst and --rate-limit-keys cannot be negative"))
			}
			if o.searchableWaitMax <= 0 || o.exportTimeout <= 0 || o.exportPageSize <= 0 || o.exportConcurrent <= 0 {
				return cli.BadInput(fmt.Errorf("--searchable-wait-max and the --export-* limits must be positive"))
			}
			if o.filterCostMax <= 0 || o.groupValuesMax <= 0 || o.filterValuesPages <= 0 {
				return cli.BadInput(fmt.Errorf("--filter-cost-max, --group-values-max-buckets and --filter-values-max-pages must be positive"))
			}
			if _, err := api.ParsePublicURL(o.publicURL); err != nil {
				return cli.BadInput(fmt.Errorf("--public-url: %w", err))
			}
			return runServe(cmd.Context(), e, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address ($ASSETS_ADDR)")
	f.StringVar(&o.metricsAddr, "metrics-addr", "", "serve /metrics on this address only, not on the API's ($ASSETS_METRICS_ADDR)")
	f.BoolVar(&o.withSync, "with-sync", false, "run the sync worker in this process")
	f.IntVar(&o.workers, "sync-workers", assetsync.WorkersDefault, "sync workers with --with-sync")
	f.DurationVar(&o.searchTTL, "search-ttl", api.SearchTTLDefault, "how long a stored search lives")
	o.searches.register(f)
	f.DurationVar(&o.authCacheTTL, "auth-cache-ttl", api.AuthCacheTTLDefault, "how long a token or scope read for authorization is reused; changes to tokens, grants and scopes reach the cache at once by LISTEN/NOTIFY; 0 turns it off ($ASSETS_AUTH_CACHE_TTL)")
	f.Float64Var(&o.rateLimit, "rate-limit", api.RateLimitDefault, "requests per second per token, and per client address without a valid token; 0 disables ($ASSETS_RATE_LIMIT)")
	f.IntVar(&o.rateBurst, "rate-burst", api.RateBurstDefault, "requests a token or address may send at once ($ASSETS_RATE_BURST)")
	f.IntVar(&o.rateKeys, "rate-limit-keys", api.RateLimitKeysDefault, "rate-limit buckets kept in memory, per kind ($ASSETS_RATE_LIMIT_KEYS)")
	f.BoolVar(&o.trustXFF, "trust-forwarded-for", false, "the former name of --trust-proxy ($ASSETS_TRUST_FORWARDED_FOR)")
	_ = f.MarkDeprecated("trust-forwarded-for", "use --trust-proxy, which also covers X-Forwarded-Proto and X-Forwarded-Host")
	f.BoolVar(&o.trustProxy, "trust-proxy", false, "a proxy sets X-Forwarded-For (client address for rate limiting), X-Forwarded-Proto and X-Forwarded-Host (links without --public-url); only behind one ($ASSETS_TRUST_PROXY)")
	f.StringVar(&o.publicURL, "public-url", "", "base of every link and Location, e.g. https://assets.example.com; empty: the request's scheme and host ($ASSETS_PUBLIC_URL)")
	f.IntVar(&o.filterCostMax, "filter-cost-max", rsql.CostMaxDefault, "the most a filter may cost (wildcards, q terms, =in= values); costlier is a 400 ($ASSETS_FILTER_COST_MAX)")
	f.IntVar(&o.groupValuesMax, "group-values-max-buckets", index.GroupValuesMaxBucketsDefault, "distinct values one group values request may collect; more is a 400 ($ASSETS_GROUP_VALUES_MAX_BUCKETS)")
	f.DurationVar(&o.searchableWaitMax, "searchable-wait-max", api.SearchableWaitMaxDefault, "the longest a PATCH with Prefer: wait-for=searchable may wait ($ASSETS_SEARCHABLE_WAIT_MAX)")
	f.IntVar(&o.exportPageSize, "export-page-size", index.ExportPageSizeDefault, "assets an export reads per page ($ASSETS_EXPORT_PAGE_SIZE)")
	f.DurationVar(&o.exportTimeout, "export-timeout", api.ExportTimeoutDefault, "the longest one export may stream ($ASSETS_EXPORT_TIMEOUT)")
	f.IntVar(&o.exportConcurrent, "export-max-concurrent", api.ExportMaxConcurrentDefault, "exports streamed at once; more is a 429 ($ASSETS_EXPORT_MAX_CONCURRENT)")
	f.IntVar(&o.filterValuesPages, "filter-values-max-pages", index.FilterValuesMaxPagesDefault, "aggregation pages one filter values request may read; more is a 400 ($ASSETS_FILTER_VALUES_MAX_PAGES)")
	return cmd
}

func envNames() string {
	s := ""
	for i, fe := range serveEnv {
		if i > 0 {
			s += ", "
		}
		s += fe.env
	}
	return s
}

// runServe connects, migrates and serves until ctx ends. Each listener
// logs once, after it is bound.
func runServe(ctx context.Context, e *cli.Env, o serveOptions) error {
	e, stopTracing, err := startTracing(ctx, e)
	if err != nil {
		return err
	}
	defer stopTracing()
	pool, idx, err := cli.ConnectWait(ctx, cli.ForAPI(e), cli.Backoff{}) // a boot race with the services is no failure
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool, e.Logger); err != nil {
		return err
	}
	reg := newRegistry()
	apiCfg := api.Config{
		Pool: pool, Index: idx, Logger: e.Logger, Registerer: reg, SearchTTL: o.searchTTL,
		RateLimit: o.rateLimit, RateBurst: o.rateBurst, RateLimitKeys: o.rateKeys, TrustForwardedFor: o.trustXFF,
		TrustProxy: o.trustProxy, PublicURL: o.publicURL,
		NoMetricsRoute: o.metricsAddr != "",
		FilterCostMax:  o.filterCostMax, GroupValuesMaxBuckets: o.groupValuesMax, FilterValuesMaxPages: o.filterValuesPages,
		SearchableWaitMax: o.searchableWaitMax,
		ExportPageSize:    o.exportPageSize, ExportTimeout: o.exportTimeout, ExportMaxConcurrent: o.exportConcurrent,
		Tracing:      tracingHandler(e.Tracing),
		AuthCacheTTL: o.authCacheTTL,
	}
	if err := o.searches.resolve(ctx, pool, &apiCfg); err != nil {
		return err
	}
	srv, err := api.New(apiCfg)
	if err != nil {
		return err
	}
	// Bind every listener before serving any, so a port in use fails the
	// command before anything says "serving".
	apiLn, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.addr, err)
	}
	defer apiLn.Close()
	var metricsLn net.Listener
	if o.metricsAddr != "" {
		if metricsLn, err = listenMetrics(o.metricsAddr); err != nil {
			return err
		}
		defer metricsLn.Close()
	}
	g := conc.New().WithContext(ctx).WithCancelOnError().WithFirstError()
	if o.withSync {
		cfg := observeSync(reg, assetsync.WorkerConfig{})
		g.Go(func(gctx context.Context) error {
			return assetsync.RunWorkers(gctx, pool, idx, e.Logger, cfg, o.workers)
		})
	}
	if metricsLn != nil {
		g.Go(func(gctx context.Context) error { return serveHandler(gctx, e.Logger, metricsLn, srv.MetricsHandler()) })
	}
	g.Go(func(gctx context.Context) error { return srv.Serve(gctx, apiLn) })
	g.Go(srv.WatchAuth)
	g.Go(func(gctx context.Context) error {
		return api.RunSearchReaper(gctx, pool, idx, e.Logger, api.SearchReapIntervalDefault)
	})
	return g.Wait()
}
