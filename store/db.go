package store

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/openinventory/assets/migrations"
)

// PoolSettings size and bound a pool; zero values keep pgx's defaults (or
// the URL's pool_max_conns) and no statement timeout.
type PoolSettings struct {
	MaxConns int32
	// StatementTimeout cancels any statement running longer (PostgreSQL's
	// statement_timeout, set on every connection of the pool).
	StatementTimeout time.Duration
	// Tracer, when set, traces every connection's queries (the commands'
	// OpenTelemetry tracing); nil traces nothing.
	Tracer pgx.QueryTracer
}

// Open connects a pool to databaseURL and checks that it answers.
func Open(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	return OpenWith(ctx, databaseURL, PoolSettings{})
}

// OpenWith is Open with explicit pool settings.
func OpenWith(ctx context.Context, databaseURL string, ps PoolSettings) (*pgxpool.Pool, error) {
	if databaseURL == "" {
		return nil, fmt.Errorf("no database URL: set ASSETS_DATABASE_URL")
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing the database URL: %w", err)
	}
	if ps.MaxConns > 0 {
		cfg.MaxConns = ps.MaxConns
	}
	if ps.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(ps.StatementTimeout.Milliseconds(), 10)
	}
	if ps.Tracer != nil {
		cfg.ConnConfig.Tracer = ps.Tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL at %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return pool, nil
}

// Migrate applies every pending migration. A session advisory lock makes
// concurrent callers (several servers starting at once) wait for each other.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	// A migration may legitimately run longer than an API pool's statement
	// timeout: such a pool lends its settings to a pool of its own, unbounded.
	if _, bounded := pool.Config().ConnConfig.RuntimeParams["statement_timeout"]; bounded {
		cfg := pool.Config()
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = "0"
		cfg.MaxConns = 2
		unbounded, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return fmt.Errorf("connecting for migrations: %w", err)
		}
		defer unbounded.Close()
		pool = unbounded
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("creating the migration lock: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("loading migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("applying migrations: %w", err)
	}
	for _, r := range results {
		logger.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}
