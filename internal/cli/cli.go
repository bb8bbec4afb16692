// Package cli is what the assets binary and the lab binary (assets-lab)
// share: the configuration read from the environment, the connection to
// PostgreSQL and Elasticsearch, and the exit-status convention.
//
// Exit statuses:
//
//	0  success
//	1  failure (the default for any error)
//	2  bad input: flags, arguments, files or environment the command cannot use
//	3  drift: assets verify found PostgreSQL and Elasticsearch disagreeing
package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/openinventory/assets/index"
)

// Exit statuses; see the package documentation.
const (
	ExitFailure  = 1
	ExitBadInput = 2
	ExitDrift    = 3
)

// ExitError carries a process exit status with its error.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// BadInput marks err as bad input (exit status 2).
func BadInput(err error) error { return &ExitError{Code: ExitBadInput, Err: err} }

// Env holds what every command reads from the environment.
type Env struct {
	DatabaseURL      string // ASSETS_DATABASE_URL
	ElasticsearchURL string // ASSETS_ELASTICSEARCH_URL, comma-separated
	IndexPrefix      string // ASSETS_INDEX, default "assets"
	Logger           *slog.Logger
	// APIPool: the pool serves the API, so its statements are bounded
	// (ASSETS_PG_STATEMENT_TIMEOUT); see ForAPI.
	APIPool bool
}

// Load reads the environment: ASSETS_DATABASE_URL, ASSETS_ELASTICSEARCH_URL,
// ASSETS_INDEX, and ASSETS_LOG_LEVEL and ASSETS_LOG_FORMAT for the stderr
// logger (see NewLogger). A value it cannot use is bad input.
func Load() (*Env, error) {
	logger, err := loggerFromEnv()
	if err != nil {
		return nil, err
	}
	e := &Env{
		DatabaseURL:      os.Getenv("ASSETS_DATABASE_URL"),
		ElasticsearchURL: os.Getenv("ASSETS_ELASTICSEARCH_URL"),
		IndexPrefix:      os.Getenv("ASSETS_INDEX"),
		Logger:           logger,
	}
	if e.IndexPrefix == "" {
		e.IndexPrefix = "assets"
	}
	return e, nil
}

// Connect opens PostgreSQL and the index client, and makes sure the alias
// exists. A service that does not answer is an *UnavailableError, naming
// its URL without credentials.
func Connect(ctx context.Context, e *Env) (*pgxpool.Pool, *index.Client, error) {
	if e.ElasticsearchURL == "" {
		return nil, nil, BadInput(errors.New("no Elasticsearch URL: set ASSETS_ELASTICSEARCH_URL"))
	}
	settings, err := IndexSettings(os.Getenv)
	if err != nil {
		return nil, nil, err
	}
	pool, err := OpenPostgres(ctx, e)
	if err != nil {
		return nil, nil, RedactError(err, e.DatabaseURL)
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
		return nil, nil, RedactError(fmt.Errorf("creating Elasticsearch client: %w", err), e.ElasticsearchURL)
	}
	idx := index.New(es, e.IndexPrefix)
	idx.Settings = settings
	if err := idx.Healthy(ctx); err != nil {
		pool.Close()
		return nil, nil, &UnavailableError{Service: "Elasticsearch", URL: RedactURL(e.ElasticsearchURL),
			Env: "ASSETS_ELASTICSEARCH_URL", Err: RedactError(err, e.ElasticsearchURL)}
	}
	if err := idx.EnsureIndex(ctx); err != nil {
		pool.Close()
		return nil, nil, RedactError(err, e.ElasticsearchURL)
	}
	return pool, idx, nil
}

// Main runs root (see Execute) until it returns or SIGINT/SIGTERM cancels
// its context, prints an error prefixed with root's name on stderr and exits
// with the error's status (ExitError) or 1.
func Main(root *cobra.Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Execute(ctx, root)
	stop()
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "%s: %v\n", root.Name(), err)
	var ee *ExitError
	if errors.As(err, &ee) {
		os.Exit(ee.Code)
	}
	os.Exit(ExitFailure)
}
