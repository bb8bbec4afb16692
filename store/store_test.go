package store_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/store"
)

const (
	tenantA = "11111111-1111-4111-8111-111111111111"
	tenantB = "22222222-2222-4222-8222-222222222222"
	groupA  = "33333333-3333-4333-8333-333333333333"
	orgA1   = "44444444-4444-4444-8444-444444444441"
	orgA2   = "44444444-4444-4444-8444-444444444442"
	groupB  = "55555555-5555-4555-8555-555555555555"
	orgB1   = "66666666-6666-4666-8666-666666666661"
	asset1  = "aaaaaaaa-0000-4000-8000-000000000001"
	asset2  = "aaaaaaaa-0000-4000-8000-000000000002"
)

func hierarchyNDJSON() string {
	return `{"type":"tenants","id":"` + tenantA + `","attributes":{"name":"A"}}
{"type":"tenants","id":"` + tenantB + `","attributes":{"name":"B"}}
{"type":"groups","id":"` + groupA + `","attributes":{"tenant_id":"` + tenantA + `","name":"GA"}}
{"type":"groups","id":"` + groupB + `","attributes":{"tenant_id":"` + tenantB + `","name":"GB"}}
{"type":"orgs","id":"` + orgA1 + `","attributes":{"group_id":"` + groupA + `","name":"OA1"}}
{"type":"orgs","id":"` + orgA2 + `","attributes":{"group_id":"` + groupA + `","name":"OA2"}}
{"type":"orgs","id":"` + orgB1 + `","attributes":{"group_id":"` + groupB + `","name":"OB1"}}
`
}

func importString(t *testing.T, pool *pgxpool.Pool, s string) (store.ImportSummary, error) {
	t.Helper()
	return store.Import(context.Background(), pool, store.NewNDJSONReader(stringsReader(s)))
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t) // already migrated once
	ctx := context.Background()
	if err := store.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	for _, table := range []string{"tenants", "groups", "orgs", "assets", "asset_orgs", "asset_outbox",
		"api_tokens", "api_token_grants", "searches", "index_targets"} {
		if n := count(t, pool, `SELECT count(*) FROM information_schema.tables WHERE table_name = $1`, table); n != 1 {
			t.Errorf("table %s: found %d times", table, n)
		}
	}
}
