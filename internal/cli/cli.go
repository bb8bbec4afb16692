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
	"os"
	"os/signal"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/cli/esauth"
	"github.com/openinventory/assets/internal/telemetry"
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
	// ES is the Elasticsearch credentials and TLS trust
	// (ASSETS_ELASTICSEARCH_API_KEY, _USERNAME, _PASSWORD, _CA_CERT,
	// _CA_FINGERPRINT); the zero value is an unsecured cluster.
	ES     esauth.Config
	Logger *slog.Logger
	// APIPool: the pool serves the API, so its statements are bounded
	// (ASSETS_PG_STATEMENT_TIMEOUT); see ForAPI.
	APIPool bool
	// Rebuilding: the command rebuilds the index (see ForReindex), so an
	// outdated index is what it is for, not a warning.
	Rebuilding bool
	// Tracing, when set (serve and sync, see telemetry.Setup), traces the
	// PostgreSQL pool and the Elasticsearch client Connect opens; nil
	// installs nothing.
	Tracing *telemetry.Tracing
}

// Load reads the environment: ASSETS_DATABASE_URL, ASSETS_ELASTICSEARCH_URL,
// the Elasticsearch credentials and TLS trust (esauth.FromEnv),
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
	if e.ES, err = esauth.FromEnv(os.Getenv); err != nil {
		return nil, BadInput(err)
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
	idx, err := openIndex(ctx, e, settings)
	if err != nil {
		pool.Close()
		return nil, nil, err
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
