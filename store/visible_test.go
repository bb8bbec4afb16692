package store_test

import (
	"context"
	"testing"

	"github.com/openinventory/assets/store"
)

func TestCommittedVersionsAndOutboxPending(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	if _, err := importString(t, pool, hierarchyNDJSON()+
		`{"type":"container_images","id":"`+asset1+`","attributes":{"tenant_id":"`+tenantA+`","org_ids":["`+orgA1+`"],"registry":"docker.io","repository":"library/nginx"}}`+"\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE assets SET labels = '{x}' WHERE id = $1`, asset1); err != nil {
		t.Fatal(err)
	}
	vs, err := store.CommittedVersions(ctx, pool, []string{asset1, "99999999-9999-4999-8999-999999999999"})
	if err != nil || len(vs) != 1 || vs[asset1] != 2 {
		t.Fatalf("versions = %v, %v; want only %s at 2", vs, err, asset1)
	}
	if p, err := store.OutboxPending(ctx, pool, vs); err != nil || !p {
		t.Fatalf("pending = %v, %v; want true (rows at 1 and 2)", p, err)
	}
	// Rows of versions above the one waited for do not count.
	if _, err := pool.Exec(ctx, `DELETE FROM asset_outbox WHERE asset_id = $1 AND version <= 1`, asset1); err != nil {
		t.Fatal(err)
	}
	if p, err := store.OutboxPending(ctx, pool, map[string]int64{asset1: 1}); err != nil || p {
		t.Fatalf("pending at 1 = %v, %v; want false", p, err)
	}
	if p, err := store.OutboxPending(ctx, pool, vs); err != nil || !p {
		t.Fatalf("pending at 2 = %v, %v; want true", p, err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM asset_outbox WHERE asset_id = $1`, asset1); err != nil {
		t.Fatal(err)
	}
	if p, err := store.OutboxPending(ctx, pool, vs); err != nil || p {
		t.Fatalf("pending after the worker = %v, %v; want false", p, err)
	}
}
