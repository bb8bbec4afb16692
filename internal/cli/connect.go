package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// Pool settings: the defaults of ASSETS_PG_MAX_CONNS and
// ASSETS_PG_STATEMENT_TIMEOUT.
const (
	// PGMaxConnsDefault is the size of a command's PostgreSQL pool: what
	// the API, the sync workers and a reindex's readers share, with room
	// to spare on a PostgreSQL allowing 100 connections for a few processes.
	PGMaxConnsDefault = 20
	// PGStatementTimeoutDefault bounds every statement of the API's pool, so
	// a pathological query cannot hold a connection and its locks for long.
	// Import, reindex and verify pools are unbounded: their long statements
	// are legitimate.
	PGStatementTimeoutDefault = 10 * time.Second
)

// PoolSettings reads the pool settings from getenv (os.Getenv in the
// commands): ASSETS_PG_MAX_CONNS and, for the API's pool (api true),
// ASSETS_PG_STATEMENT_TIMEOUT (a Go duration; 0 disables it). A value it
// cannot use is bad input.
func PoolSettings(getenv func(string) string, api bool) (store.PoolSettings, error) {
	ps := store.PoolSettings{MaxConns: PGMaxConnsDefault}
	if v := getenv("ASSETS_PG_MAX_CONNS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 {
			return ps, BadInput(fmt.Errorf("ASSETS_PG_MAX_CONNS=%q: want a whole number of connections, at least 1", v))
		}
		ps.MaxConns = int32(n)
	}
	if !api {
		return ps, nil
	}
	ps.StatementTimeout = PGStatementTimeoutDefault
	if v := getenv("ASSETS_PG_STATEMENT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return ps, BadInput(fmt.Errorf("ASSETS_PG_STATEMENT_TIMEOUT=%q: want a duration such as 10s, or 0 for none", v))
		}
		ps.StatementTimeout = d
	}
	return ps, nil
}

// Connect opens PostgreSQL (a pool of ASSETS_PG_MAX_CONNS, no statement
// timeout) and the index client, and makes sure the alias exists.
func Connect(ctx context.Context, e *Env) (*pgxpool.Pool, *index.Client, error) {
	return connect(ctx, e, false)
}

// ConnectAPI is Connect for the API server: its pool also bounds every
// statement by ASSETS_PG_STATEMENT_TIMEOUT.
func ConnectAPI(ctx context.Context, e *Env) (*pgxpool.Pool, *index.Client, error) {
	return connect(ctx, e, true)
}

func connect(ctx context.Context, e *Env, api bool) (*pgxpool.Pool, *index.Client, error) {
	if e.ElasticsearchURL == "" {
		return nil, nil, fmt.Errorf("no Elasticsearch URL: set ASSETS_ELASTICSEARCH_URL")
	}
	ps, err := PoolSettings(os.Getenv, api)
	if err != nil {
		return nil, nil, err
	}
	pool, err := store.OpenWith(ctx, e.DatabaseURL, ps)
	if err != nil {
		return nil, nil, err
	}
	es, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses: strings.Split(e.ElasticsearchURL, ","), MaxRetries: 3,
		Transport: &http.Transport{
			// Responses come over loopback or a LAN: gzip would cost more CPU
			// (both sides) than the bytes it saves, ~20% of a list request.
			DisableCompression: true,
			// Keep a connection per concurrent request instead of Go's 2.
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		},
	})
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("creating Elasticsearch client: %w", err)
	}
	idx := index.New(es, e.IndexPrefix)
	if err := idx.Healthy(ctx); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("Elasticsearch at %s: %w", e.ElasticsearchURL, err)
	}
	if err := idx.EnsureIndex(ctx); err != nil {
		pool.Close()
		return nil, nil, err
	}
	return pool, idx, nil
}
