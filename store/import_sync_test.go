package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
	assetsync "github.com/openinventory/assets/sync"
)

// TestImportDeletionsReachElasticsearch imports a seeded data set, syncs it,
// deletes assets through remove lines and through a mirrored import, syncs
// again, and checks that verify finds no drift and the documents are gone.
func TestImportDeletionsReachElasticsearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.Postgres(t)
	es, prefix := testenv.Elasticsearch(t)
	idx := index.New(es, prefix)
	if err := idx.EnsureIndex(ctx); err != nil {
		t.Fatal(err)
	}
	gen, err := seed.New(seed.Options{Assets: 200, Tenants: 2, Groups: 2, Orgs: 4, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	tenant := gen.Summary().Tenants[0]
	var ofTenant []store.Record // the tenant's assets, in file order
	for {
		rec, err := gen.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := store.WriteNDJSON(&all, rec); err != nil {
			t.Fatal(err)
		}
		if rec.Asset != nil && rec.Asset.TenantID == tenant {
			ofTenant = append(ofTenant, rec)
		}
	}
	if len(ofTenant) < 20 {
		t.Fatalf("only %d assets in tenant %s", len(ofTenant), tenant)
	}
	importNDJSON(t, pool, all.Bytes())
	w := assetsync.NewWorker(pool, idx, slog.New(slog.NewTextHandler(io.Discard, nil)), assetsync.WorkerConfig{BatchSize: 64})
	drainOutbox(t, w)
	assertInSync(t, pool, idx)
	// The first three go through remove lines, the next four by the mirror.
	gone := ofTenant[:7]
	assertIndexed(t, idx, tenant, gone, true)

	// Remove three assets and one that does not exist.
	rm := removeNDJSON(missingAsset)
	for _, r := range ofTenant[:3] {
		rm += removeNDJSON(r.Asset.ID)
	}
	if sum := importNDJSON(t, pool, []byte(rm)); sum.Removed != 3 || sum.RemoveMissing != 1 {
		t.Errorf("remove summary = %+v", sum)
	}
	// Mirror the tenant with a snapshot that leaves out four more.
	var snap bytes.Buffer
	for _, r := range ofTenant[7:] {
		if err := store.WriteNDJSON(&snap, r); err != nil {
			t.Fatal(err)
		}
	}
	if sum := importNDJSON(t, pool, snap.Bytes(), store.Mirror(store.MirrorScope{Kind: store.ScopeTenant, ID: tenant})); sum.MirrorDeleted != 4 {
		t.Errorf("mirror summary = %+v, want 4 deleted", sum)
	}
	drainOutbox(t, w)
	assertInSync(t, pool, idx)
	assertIndexed(t, idx, tenant, gone, false)
	assertIndexed(t, idx, tenant, ofTenant[7:], true)
}

func importNDJSON(t *testing.T, pool *pgxpool.Pool, data []byte, opts ...store.ImportOption) store.ImportSummary {
	t.Helper()
	src := store.NewParallelNDJSONReader(bytes.NewReader(data), 2)
	defer src.Close()
	sum, err := store.Import(context.Background(), pool, src, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func drainOutbox(t *testing.T, w *assetsync.Worker) {
	t.Helper()
	for range 1000 {
		n, err := w.ProcessBatch(context.Background())
		if err != nil {
			t.Fatalf("sync batch: %v", err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("the outbox did not drain")
}

func assertInSync(t *testing.T, pool *pgxpool.Pool, idx *index.Client) {
	t.Helper()
	rep, err := assetsync.Verify(context.Background(), pool, idx, assetsync.VerifyConfig{Wait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Backlog != 0 || rep.Drifted != 0 {
		t.Fatalf("backlog %d, drifted %d: %+v", rep.Backlog, rep.Drifted, rep.Tenants)
	}
	for _, d := range rep.Tenants {
		if d.Drifted() || d.Postgres == 0 {
			t.Errorf("tenant %s: %+v", d.TenantID, d)
		}
	}
}

// assertIndexed checks whether each asset of recs has a document.
func assertIndexed(t *testing.T, idx *index.Client, tenant string, recs []store.Record, want bool) {
	t.Helper()
	indexed := map[string]bool{}
	if err := idx.Versions(context.Background(), tenant, func(id string, _ int64) error {
		indexed[id] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if indexed[r.Asset.ID] != want {
			t.Errorf("asset %s indexed = %v, want %v", r.Asset.ID, !want, want)
		}
	}
}
