package sync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
)

var errCrash = errors.New("simulated crash")

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type fixture struct {
	pool    *pgxpool.Pool
	idx     *index.Client
	es      *elasticsearch.Client
	summary seed.Summary
}

func setup(t *testing.T, assets int) *fixture {
	t.Helper()
	pool := testenv.Postgres(t)
	es, prefix := testenv.Elasticsearch(t)
	idx := index.New(es, prefix)
	ctx := context.Background()
	if err := idx.EnsureIndex(ctx); err != nil {
		t.Fatal(err)
	}
	gen, err := seed.New(seed.Options{Assets: assets, Tenants: 2, Groups: 3, Orgs: 6, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(ctx, pool, gen); err != nil {
		t.Fatal(err)
	}
	return &fixture{pool: pool, idx: idx, es: es, summary: gen.Summary()}
}

// drain runs batches until the outbox is empty.
func drain(t *testing.T, w *Worker) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		n, err := w.ProcessBatch(context.Background())
		if err != nil {
			t.Fatalf("batch: %v", err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("outbox did not drain")
}

func assertNoDrift(t *testing.T, f *fixture) {
	t.Helper()
	rep, err := Verify(context.Background(), f.pool, f.idx, VerifyConfig{Wait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Backlog != 0 || rep.Drifted != 0 {
		t.Fatalf("backlog %d, drifted %d: %+v", rep.Backlog, rep.Drifted, rep.Tenants)
	}
	var total int64
	for _, d := range rep.Tenants {
		if d.Drifted() {
			t.Errorf("tenant %s drifted: %+v", d.TenantID, d)
		}
		total += d.Postgres
	}
	if total == 0 {
		t.Error("verify compared no documents")
	}
}

func backlog(t *testing.T, pool *pgxpool.Pool) int64 {
	t.Helper()
	n, _, err := store.Backlog(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWorkerIndexesEveryChange(t *testing.T) {
	t.Parallel()
	f := setup(t, 300)
	ctx := context.Background()
	var lags atomic.Int64
	w := NewWorker(f.pool, f.idx, quiet(), WorkerConfig{BatchSize: 64, Observe: func(time.Duration) { lags.Add(1) }})
	drain(t, w)
	if w.Synced() != 300 || lags.Load() != 300 {
		t.Errorf("synced %d, observed %d; want 300", w.Synced(), lags.Load())
	}
	assertNoDrift(t, f)

	// Update, delete and move an asset between orgs; all reach the index.
	id := f.summary.FirstAssets[0]
	tenant := store.Scope{Kind: "tenant", ID: f.summary.Tenants[0], TenantID: f.summary.Tenants[0]}
	a, err := store.GetAsset(ctx, f.pool, tenant.TenantID, id)
	if err != nil {
		tenant = store.Scope{Kind: "tenant", ID: f.summary.Tenants[1], TenantID: f.summary.Tenants[1]}
		a, err = store.GetAsset(ctx, f.pool, tenant.TenantID, id)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.UpdateAssets(ctx, f.pool, tenant, []store.Patch{{ID: id, Labels: &store.LabelsPatch{Add: []string{"synced"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `DELETE FROM assets WHERE id = $1`, f.summary.FirstAssets[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `DELETE FROM asset_orgs WHERE asset_id = $1 AND org_id = $2`, id, a.OrgIDs[0]); err != nil {
		t.Fatal(err)
	}
	drain(t, w)
	assertNoDrift(t, f)
}

func TestCrashBetweenClaimAndWriteLosesNothing(t *testing.T) {
	t.Parallel()
	f := setup(t, 200)
	w := NewWorker(f.pool, f.idx, quiet(), WorkerConfig{BatchSize: 50})
	w.afterClaim = func() error { return errCrash }
	if _, err := w.ProcessBatch(context.Background()); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v", err)
	}
	if n := backlog(t, f.pool); n != 200 {
		t.Fatalf("backlog after crash = %d, want 200", n)
	}
	drain(t, NewWorker(f.pool, f.idx, quiet(), WorkerConfig{BatchSize: 50}))
	assertNoDrift(t, f)
}

func TestCrashBetweenWriteAndDeleteLosesNothing(t *testing.T) {
	t.Parallel()
	f := setup(t, 200)
	w := NewWorker(f.pool, f.idx, quiet(), WorkerConfig{BatchSize: 500})
	w.afterWrite = func() error { return errCrash }
	if _, err := w.ProcessBatch(context.Background()); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v", err)
	}
	// Elasticsearch has the documents, but the outbox rows stay.
	if n := backlog(t, f.pool); n != 200 {
		t.Fatalf("backlog after crash = %d, want 200", n)
	}
	// The restarted worker replays them: equal versions conflict, which
	// counts as acknowledged.
	drain(t, NewWorker(f.pool, f.idx, quiet(), WorkerConfig{BatchSize: 500}))
	if n := backlog(t, f.pool); n != 0 {
		t.Fatalf("backlog after restart = %d", n)
	}
	assertNoDrift(t, f)
}

func TestOutOfOrderWritesNeverRegress(t *testing.T) {
	t.Parallel()
	f := setup(t, 20)
	ctx := context.Background()
	drain(t, NewWorker(f.pool, f.idx, quiet(), WorkerConfig{}))
	id := f.summary.FirstAssets[0]
	var tenantID string
	if err := f.pool.QueryRow(ctx, `SELECT tenant_id::text FROM assets WHERE id = $1`, id).Scan(&tenantID); err != nil {
		t.Fatal(err)
	}
	tenant := store.Scope{Kind: "tenant", ID: tenantID, TenantID: tenantID}
	if _, err := store.UpdateAssets(ctx, f.pool, tenant, []store.Patch{{ID: id, Labels: &store.LabelsPatch{Add: []string{"v2"}}}}); err != nil {
		t.Fatal(err)
	}
	// Worker A loads version 2 and stalls; meanwhile version 3 is written
	// and indexed by worker B. A's late write of version 2 must lose.
	slow := NewWorker(f.pool, f.idx, quiet(), WorkerConfig{})
	slow.afterClaim = func() error {
		if _, err := store.UpdateAssets(ctx, f.pool, tenant, []store.Patch{{ID: id, Labels: &store.LabelsPatch{Add: []string{"v3"}}}}); err != nil {
			return err
		}
		drain(t, NewWorker(f.pool, f.idx, quiet(), WorkerConfig{}))
		return nil
	}
	if _, err := slow.ProcessBatch(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.idx.Refresh(ctx, f.idx.Alias()); err != nil {
		t.Fatal(err)
	}
	versions := map[string]int64{}
	if err := f.idx.Versions(ctx, tenantID, func(i string, v int64) error { versions[i] = v; return nil }); err != nil {
		t.Fatal(err)
	}
	if versions[id] != 3 {
		t.Fatalf("indexed version = %d, want 3", versions[id])
	}
	assertNoDrift(t, f)
}

// flakyProxy forwards to the real Elasticsearch, or refuses while down.
type flakyProxy struct {
	down  atomic.Bool
	proxy *httputil.ReverseProxy
}

func (p *flakyProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.down.Load() {
		hj, ok := w.(http.Hijacker)
		if ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close() // like a dead node: the connection drops
				return
			}
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	p.proxy.ServeHTTP(w, r)
}

func TestElasticsearchOutageUnderWrites(t *testing.T) {
	t.Parallel()
	f := setup(t, 100)
	ctx := context.Background()
	fp := &flakyProxy{proxy: testenv.ElasticsearchProxy(t)}
	srv := httptest.NewServer(fp)
	defer srv.Close()
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{srv.URL}, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	idx := index.New(es, f.idx.Alias())
	wctx, cancel := context.WithCancel(ctx)
	w := NewWorker(f.pool, idx, quiet(), WorkerConfig{BatchSize: 50, PollInterval: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	var wg stdsync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = w.Run(wctx) }()

	fp.down.Store(true)
	// Writes to PostgreSQL keep succeeding while Elasticsearch is away.
	tenant := store.Scope{Kind: "tenant", ID: f.summary.Tenants[0], TenantID: f.summary.Tenants[0]}
	var ids []string
	rows, err := f.pool.Query(ctx, `SELECT id::text FROM assets WHERE tenant_id = $1 LIMIT 20`, tenant.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	for i := 0; i < 60; i++ {
		p := store.Patch{ID: ids[i%len(ids)], Labels: &store.LabelsPatch{Add: []string{fmt.Sprintf("outage-%d", i)}}}
		if _, err := store.UpdateAssets(ctx, f.pool, tenant, []store.Patch{p}); err != nil {
			t.Fatalf("write during outage: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := backlog(t, f.pool); n == 0 {
		t.Fatal("backlog drained while Elasticsearch was down")
	}
	fp.down.Store(false)
	deadline := time.Now().Add(30 * time.Second)
	for backlog(t, f.pool) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	assertNoDrift(t, f)
}

func TestReindexUnderWrites(t *testing.T) {
	t.Parallel()
	f := setup(t, 3000)
	ctx := context.Background()
	drain(t, NewWorker(f.pool, f.idx, quiet(), WorkerConfig{BatchSize: 1000}))
	before, err := f.idx.AliasIndexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	var wg stdsync.WaitGroup
	w := NewWorker(f.pool, f.idx, quiet(), WorkerConfig{BatchSize: 100, PollInterval: 20 * time.Millisecond})
	wg.Add(2)
	go func() { defer wg.Done(); _ = w.Run(wctx) }()
	var writes atomic.Int64
	go func() { // a steady stream of updates and deletes while the reindex runs
		defer wg.Done()
		for i := 0; wctx.Err() == nil; i++ {
			var id, tenantID string
			err := f.pool.QueryRow(ctx, `SELECT id::text, tenant_id::text FROM assets ORDER BY id OFFSET $1 LIMIT 1`, (i*37)%2500).Scan(&id, &tenantID)
			if err != nil {
				continue
			}
			if i%25 == 0 {
				_, _ = f.pool.Exec(ctx, `DELETE FROM assets WHERE id = $1`, id)
			} else {
				s := store.Scope{Kind: "tenant", ID: tenantID, TenantID: tenantID}
				_, _ = store.UpdateAssets(ctx, f.pool, s, []store.Patch{{ID: id, Labels: &store.LabelsPatch{Add: []string{fmt.Sprintf("r%d", i)}}}})
			}
			writes.Add(1)
			time.Sleep(2 * time.Millisecond)
		}
	}()
	res, err := Reindex(ctx, f.pool, f.idx, quiet(), ReindexConfig{Keep: 1, PageSize: 500})
	time.Sleep(200 * time.Millisecond) // a few writes after the swap too
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if writes.Load() < 10 {
		t.Fatalf("only %d writes during the reindex", writes.Load())
	}
	after, err := f.idx.AliasIndexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 1 || after[0] != res.Index || after[0] == before[0] {
		t.Fatalf("alias before %v, after %v, new index %s", before, after, res.Index)
	}
	if targets, _ := store.IndexTargets(ctx, f.pool); len(targets) != 0 {
		t.Errorf("index still registered as target: %v", targets)
	}
	drain(t, NewWorker(f.pool, f.idx, quiet(), WorkerConfig{}))
	assertNoDrift(t, f)
}

func TestVerifyRepair(t *testing.T) {
	t.Parallel()
	f := setup(t, 50)
	ctx := context.Background()
	w := NewWorker(f.pool, f.idx, quiet(), WorkerConfig{})
	drain(t, w)
	// Drift behind the worker's back: lost outbox rows for an update (stale),
	// a delete (extra) and an insert (missing).
	stale, extra := f.summary.FirstAssets[0], f.summary.FirstAssets[1]
	if _, err := f.pool.Exec(ctx, `UPDATE assets SET labels = '{drift}' WHERE id = $1`, stale); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `DELETE FROM assets WHERE id = $1`, extra); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `INSERT INTO assets (id, tenant_id, registry, repository)
		SELECT '0badf00d-0000-4000-8000-000000000001', tenant_id, 'docker.io', 'missing/one' FROM assets LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `DELETE FROM asset_outbox`); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, f.pool, f.idx, VerifyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var missing, stales, extras int
	for _, d := range rep.Tenants {
		missing, stales, extras = missing+len(d.Missing), stales+len(d.Stale), extras+len(d.Extra)
	}
	if rep.Drifted != 3 || missing != 1 || stales != 1 || extras != 1 {
		t.Fatalf("drifted = %d (missing %d, stale %d, extra %d), want one of each", rep.Drifted, missing, stales, extras)
	}
	rep, err = Verify(ctx, f.pool, f.idx, VerifyConfig{Repair: true})
	if err != nil || rep.Repaired != 3 {
		t.Fatalf("repair: %d repaired, %v", rep.Repaired, err)
	}
	drain(t, w)
	assertNoDrift(t, f)
}

func TestRejectedDocumentsAreRetriedLater(t *testing.T) {
	t.Parallel()
	f := setup(t, 30)
	ctx := context.Background()
	// An index whose strict, empty mapping rejects every document stands in
	// for a document Elasticsearch refuses.
	bad := f.idx.Alias() + "-rejecting"
	res, err := f.es.Indices.Create(bad, f.es.Indices.Create.WithBody(stringsReader(`{"mappings":{"dynamic":"strict","properties":{}}}`)))
	if err != nil || res.IsError() {
		t.Fatalf("creating %s: %v %v", bad, err, res)
	}
	res.Body.Close()
	if err := store.AddIndexTarget(ctx, f.pool, bad); err != nil {
		t.Fatal(err)
	}
	w := NewWorker(f.pool, f.idx, quiet(), WorkerConfig{})
	if n, err := w.ProcessBatch(ctx); err != nil || n != 30 {
		t.Fatalf("first batch: %d rows, %v", n, err)
	}
	if n := backlog(t, f.pool); n != 30 {
		t.Fatalf("backlog = %d, want the 30 rejected rows kept", n)
	}
	// They wait for their retry time instead of blocking the next claims.
	if n, err := w.ProcessBatch(ctx); err != nil || n != 0 {
		t.Fatalf("second batch claimed %d rows (%v), want none before the retry time", n, err)
	}
	var attempts int64
	if err := f.pool.QueryRow(ctx, `SELECT min(attempts) FROM asset_outbox WHERE retry_at > now()`).Scan(&attempts); err != nil || attempts != 1 {
		t.Fatalf("attempts = %d (%v), want 1 with a retry time", attempts, err)
	}
	if err := store.RemoveIndexTarget(ctx, f.pool, bad); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE asset_outbox SET retry_at = now()`); err != nil {
		t.Fatal(err)
	}
	drain(t, w)
	assertNoDrift(t, f)
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func TestRunWorkersDrainsAndStopsWithTheContext(t *testing.T) {
	t.Parallel()
	f := setup(t, 200)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunWorkers(ctx, f.pool, f.idx, quiet(), WorkerConfig{BatchSize: 32}, 3) }()
	deadline := time.Now().Add(30 * time.Second)
	for backlog(t, f.pool) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the workers did not drain the outbox")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunWorkers: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunWorkers did not return after the context ended")
	}
	assertNoDrift(t, f)
}
