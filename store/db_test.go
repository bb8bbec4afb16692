package store_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
)

// A pool opened with settings has them on every connection; a bounded pool
// still migrates (migrations run without the bound).
func TestOpenWithAppliesPoolSettings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := store.OpenWith(ctx, testenv.DatabaseURL(t), store.PoolSettings{MaxConns: 3, StatementTimeout: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if got := pool.Config().MaxConns; got != 3 {
		t.Errorf("max conns = %d, want 3", got)
	}
	var timeout string
	if err := pool.QueryRow(ctx, `SHOW statement_timeout`).Scan(&timeout); err != nil || timeout != "1500ms" {
		t.Errorf("statement_timeout = %q (%v), want 1500ms", timeout, err)
	}
	_, err = pool.Exec(ctx, `SELECT pg_sleep(3)`)
	if store.SQLState(err) != store.SQLStateQueryCanceled {
		t.Errorf("a 3 s statement under a 1.5 s timeout: %v, want query_canceled", err)
	}
	if err := store.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("migrating through a bounded pool: %v", err)
	}
}
