package cli

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
)

func TestRequireSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.Postgres(t)
	if err := RequireSchema(ctx, pool); err != nil {
		t.Fatalf("migrated database: %v", err)
	}
	// One migration missing, then none at all.
	if _, err := pool.Exec(ctx, `DELETE FROM goose_db_version WHERE version_id = 4`); err != nil {
		t.Fatal(err)
	}
	err := RequireSchema(ctx, pool)
	if !errors.Is(err, ErrNotMigrated) || !strings.Contains(err.Error(), "these migrations are not applied: 4:") {
		t.Errorf("one migration missing: %v", err)
	}
	if _, err := pool.Exec(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	err = RequireSchema(ctx, pool)
	var ee *ExitError
	if !errors.Is(err, ErrNotMigrated) || !errors.As(err, &ee) || ee.Code != ExitBadInput ||
		!strings.Contains(err.Error(), "run `assets migrate`") {
		t.Errorf("unmigrated database: %v", err)
	}
	_, qerr := pool.Exec(ctx, `SELECT 1 FROM assets`)
	if store.SQLState(qerr) != store.SQLStateUndefinedTable || !errors.Is(schemaHint(qerr), ErrNotMigrated) {
		t.Errorf("schemaHint(%v) = %v", qerr, schemaHint(qerr))
	}
}
