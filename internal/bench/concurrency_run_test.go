package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openinventory/assets/api"
	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
	assetsync "github.com/openinventory/assets/sync"
)

// smallRunner is a runner over a small seeded and indexed data set of the
// test's own, with the real API in-process.
func smallRunner(t *testing.T) *runner {
	t.Helper()
	ctx := context.Background()
	dbURL := testenv.DatabaseURL(t)
	pool, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	es, prefix := testenv.Elasticsearch(t)
	gen, err := seed.New(seed.Options{Assets: 1000, Tenants: 1, Groups: 2, Orgs: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(ctx, pool, gen); err != nil {
		t.Fatal(err)
	}
	idx := index.New(es, prefix)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := assetsync.Reindex(ctx, pool, idx, quiet, assetsync.ReindexConfig{}); err != nil {
		t.Fatal(err)
	}
	tenant := gen.Summary().Tenants[0]
	g, err := store.ParseGrant("tenant:" + tenant + ":tenant.read")
	if err != nil {
		t.Fatal(err)
	}
	token, err := store.CreateToken(ctx, pool, "bench", []store.Grant{g})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Pool: pool, Index: idx})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	esURL, _, _ := strings.Cut(testenv.ElasticsearchURL(t), ",")
	r := &runner{pool: pool, idx: idx, log: quiet, rep: &Report{}, api: newAPIClient(hs.URL, tenant, token),
		es:  harness.NewES(newHTTPClient(), esURL),
		lim: limits{requests: 20, duration: 10 * time.Second, warmup: 1},
		cfg: Config{Clients: 3, Duration: time.Second, ElasticsearchURL: esURL, DatabaseURL: dbURL, OutDir: t.TempDir()}}
	r.data.tenantID = tenant
	return r
}

// TestMeasureConcurrency runs the concurrency step over a small data set,
// the real API and the real Elasticsearch: every side answers, and the
// report gets both rates, their ratio and a target each.
func TestMeasureConcurrency(t *testing.T) {
	t.Parallel()
	r := smallRunner(t)
	if err := r.measureConcurrency(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(r.rep.Concurrency) != 2 {
		t.Fatalf("concurrency runs: %+v, want the list and the group values", r.rep.Concurrency)
	}
	for _, c := range r.rep.Concurrency {
		for name, s := range map[string]LoopSide{"API": c.API, "Elasticsearch": c.Elasticsearch} {
			if s.Requests == 0 || s.Errors > 0 || s.PerSecond <= 0 {
				t.Errorf("%s, %s: %d answers, %d errors (%s)", c.Name, name, s.Requests, s.Errors, s.FirstError)
			}
		}
		if c.Clients != 3 || c.Ratio <= 0 {
			t.Errorf("%s: clients %d, ratio %v", c.Name, c.Clients, c.Ratio)
		}
	}
	r.rep.checkTargets()
	if len(r.rep.Targets) != 2 {
		t.Errorf("targets %+v, want one per query", r.rep.Targets)
	}
}
