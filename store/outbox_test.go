package store_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/openinventory/assets/store"
)

func TestTriggersBumpVersionAndWriteOutbox(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	if _, err := importString(t, pool, hierarchyNDJSON()+
		`{"type":"container_images","id":"`+asset1+`","attributes":{"tenant_id":"`+tenantA+`","org_ids":["`+orgA1+`","`+orgA2+`"],"registry":"docker.io","repository":"library/nginx"}}`+"\n"); err != nil {
		t.Fatal(err)
	}
	// A new asset with two memberships: one version, one outbox row.
	if v := count(t, pool, `SELECT version FROM assets WHERE id = $1`, asset1); v != 1 {
		t.Errorf("version after insert = %d, want 1", v)
	}
	if n := count(t, pool, `SELECT count(*) FROM asset_outbox WHERE asset_id = $1 AND version = 1`, asset1); n != 1 {
		t.Errorf("outbox rows after insert = %d, want 1", n)
	}
	// An update bumps the version and writes a row.
	if _, err := pool.Exec(ctx, `UPDATE assets SET labels = '{x}' WHERE id = $1`, asset1); err != nil {
		t.Fatal(err)
	}
	if v := count(t, pool, `SELECT version FROM assets WHERE id = $1`, asset1); v != 2 {
		t.Errorf("version after update = %d, want 2", v)
	}
	// A membership change in its own transaction bumps it too.
	if _, err := pool.Exec(ctx, `DELETE FROM asset_orgs WHERE asset_id = $1 AND org_id = $2`, asset1, orgA2); err != nil {
		t.Fatal(err)
	}
	if v := count(t, pool, `SELECT version FROM assets WHERE id = $1`, asset1); v != 3 {
		t.Errorf("version after membership delete = %d, want 3", v)
	}
	// A delete writes a tombstone row with version last+1.
	if _, err := pool.Exec(ctx, `DELETE FROM assets WHERE id = $1`, asset1); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM asset_outbox WHERE asset_id = $1 AND deleted AND version = 4`, asset1); n != 1 {
		t.Errorf("delete outbox rows = %d, want 1", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM asset_outbox WHERE asset_id = $1`, asset1); n != 4 {
		t.Errorf("outbox rows = %d, want 4 (insert, update, membership, delete)", n)
	}
	// Claim + delete in one transaction; a rolled-back claim leaves the rows.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := store.ClaimOutbox(ctx, tx, 10)
	if err != nil || len(rows) != 4 {
		t.Fatalf("claim: %d rows, %v", len(rows), err)
	}
	_ = tx.Rollback(ctx)
	if n := count(t, pool, `SELECT count(*) FROM asset_outbox`); n != 4 {
		t.Errorf("rows after rolled-back claim = %d, want 4", n)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		rows, err := store.ClaimOutbox(ctx, tx, 3)
		if err != nil {
			return err
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		return store.DeleteOutbox(ctx, tx, ids)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _, err := store.Backlog(ctx, pool); err != nil || n != 1 {
		t.Errorf("backlog = %d, %v; want 1", n, err)
	}
}

func TestClaimSkipsLockedRows(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	if _, err := importString(t, pool, hierarchyNDJSON()+
		`{"type":"container_images","id":"`+asset1+`","attributes":{"tenant_id":"`+tenantA+`"}}`+"\n"+
		`{"type":"container_images","id":"`+asset2+`","attributes":{"tenant_id":"`+tenantA+`"}}`+"\n"); err != nil {
		t.Fatal(err)
	}
	tx1, _ := pool.Begin(ctx)
	defer tx1.Rollback(ctx)
	first, err := store.ClaimOutbox(ctx, tx1, 1)
	if err != nil || len(first) != 1 {
		t.Fatalf("first claim: %v %v", first, err)
	}
	tx2, _ := pool.Begin(ctx)
	defer tx2.Rollback(ctx)
	second, err := store.ClaimOutbox(ctx, tx2, 10)
	if err != nil || len(second) != 1 || second[0].ID == first[0].ID {
		t.Fatalf("second claim got %v (%v); want the other row only", second, err)
	}
}
