package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openinventory/assets/api"
	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
	assetsync "github.com/openinventory/assets/sync"
)

// newIndexedRunner seeds a small data set (with projects) into a database
// and index prefix of the test's own, indexes it, runs a sync worker and
// the API (explorer included) in process, and returns a runner pointed at
// them with a tenant.edit token on the seeded tenant.
func newIndexedRunner(t *testing.T, assets int) *runner {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dbURL := testenv.DatabaseURL(t)
	pool, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	es, prefix := testenv.Elasticsearch(t)
	ic := index.New(es, prefix)
	gen, err := seed.New(seed.Options{Assets: assets, Tenants: 1, Groups: 2, Orgs: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(ctx, pool, gen); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := assetsync.Reindex(ctx, pool, ic, log, assetsync.ReindexConfig{}); err != nil {
		t.Fatalf("indexing: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = assetsync.RunWorkers(ctx, pool, ic, log, assetsync.WorkerConfig{PollInterval: 100 * time.Millisecond}, 1)
	}()
	t.Cleanup(func() { cancel(); <-done })
	tenant := gen.Summary().Tenants[0]
	token, err := store.CreateToken(ctx, pool, "bench test", []store.Grant{{Kind: store.ScopeTenant, ScopeID: tenant, Permission: "tenant.edit"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Pool: pool, Index: ic, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	out := t.TempDir()
	if err := os.MkdirAll(filepath.Join(out, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &runner{cfg: Config{DatabaseURL: dbURL, OutDir: out}, log: log, pool: pool, idx: ic,
		lim: limits{requests: 20, duration: 10 * time.Second, warmup: 1}, rep: &Report{}, api: newAPIClient(hs.URL, tenant, token)}
	r.data.tenantID = tenant
	return r
}
