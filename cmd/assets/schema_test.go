package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestCommandsOnAnUnmigratedDatabaseSayRunMigrate(t *testing.T) {
	t.Parallel()
	e := dataEnv(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	// A database nobody migrated: no tables, no goose version table.
	_, err = conn.Exec(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "in.ndjson")
	if err := os.WriteFile(file, []byte(`{"type":"tenants","id":"11111111-1111-4111-8111-111111111111","attributes":{"name":"A"}}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"seed", "--assets", "10"},
		{"import", file},
		{"token", "create", "--name", "x", "--grant", "tenant:11111111-1111-4111-8111-111111111111:tenant.read"},
		{"token", "list"},
		{"token", "revoke", "11111111-1111-4111-8111-111111111111"},
		{"verify"},
		{"reindex"},
		{"sync"},
	} {
		r := run(t, e, args...)
		if r.code != 2 || !strings.Contains(r.err.Error(), "run `assets migrate`") || strings.Contains(r.err.Error(), "does not exist") {
			t.Errorf("%v: exit %d: %v", args, r.code, r.err)
		}
	}
	// And migrate makes them work.
	if r := run(t, e, "migrate"); r.err != nil {
		t.Fatal(r.err)
	}
	if r := run(t, e, "token", "list"); r.err != nil {
		t.Errorf("token list after migrate: %v", r.err)
	}
}
