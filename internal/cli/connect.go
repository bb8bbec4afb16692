package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/store"
)

// UnavailableError says a service did not answer: it is not up yet, or the
// URL points nowhere. Trying again later may succeed, so long-running
// commands wait (ConnectWait) while one-shot commands fail with it.
type UnavailableError struct {
	Service string // "PostgreSQL" or "Elasticsearch"
	URL     string // without credentials
	Env     string // the variable that holds the URL
	Err     error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("%s at %s is not answering (%v): start it, or point %s at it, and try again",
		e.Service, e.URL, e.Err, e.Env)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// OpenPostgres connects to ASSETS_DATABASE_URL. A server that does not
// answer is an *UnavailableError; a missing or malformed URL is bad input.
func OpenPostgres(ctx context.Context, e *Env) (*pgxpool.Pool, error) {
	if e.DatabaseURL == "" {
		return nil, BadInput(errors.New("no database URL: set ASSETS_DATABASE_URL"))
	}
	if _, err := pgxpool.ParseConfig(e.DatabaseURL); err != nil {
		return nil, BadInput(fmt.Errorf("ASSETS_DATABASE_URL: %w", err))
	}
	ps, err := PoolSettings(os.Getenv, e.APIPool)
	if err != nil {
		return nil, err
	}
	ps.Tracer = e.Tracing.PGXTracer()
	pool, err := store.OpenWith(ctx, e.DatabaseURL, ps)
	if err == nil {
		return pool, nil
	}
	var ce *pgconn.ConnectError
	// A refused password does not fix itself by waiting.
	if errors.As(err, &ce) && !strings.HasPrefix(store.SQLState(err), "28") {
		return nil, &UnavailableError{Service: "PostgreSQL", URL: RedactURL(e.DatabaseURL), Env: "ASSETS_DATABASE_URL",
			Err: RedactError(err, e.DatabaseURL)}
	}
	return nil, err
}

// OpenDB connects to ASSETS_DATABASE_URL and checks that the database is
// migrated (RequireSchema): what every command that reads or writes data
// without Elasticsearch needs first.
func OpenDB(ctx context.Context, e *Env) (*pgxpool.Pool, error) {
	pool, err := OpenPostgres(ctx, e)
	if err != nil {
		return nil, err
	}
	if err := RequireSchema(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}
