package bench

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openinventory/assets/api"
	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
)

// TestMeasureRelationships runs the relationships measurement against a
// small seeded data set and the real API: both sides answer, and the
// report gets their latencies.
func TestMeasureRelationships(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.Postgres(t)
	es, prefix := testenv.Elasticsearch(t)
	gen, err := seed.New(seed.Options{Assets: 2000, Tenants: 1, Groups: 2, Orgs: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(ctx, pool, gen); err != nil {
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
	srv, err := api.New(api.Config{Pool: pool, Index: index.New(es, prefix)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	r := &runner{pool: pool, lim: limits{requests: 50, duration: 20 * time.Second, warmup: 2}, rep: &Report{},
		api: newAPIClient(hs.URL, tenant, token)}
	r.data.tenantID = tenant
	if err := r.measureRelationships(ctx); err != nil {
		t.Fatal(err)
	}
	if len(r.rep.Measurements) != 1 || len(r.rep.Measurements[0].Sides) != 2 {
		t.Fatalf("report: %+v", r.rep.Measurements)
	}
	for _, s := range r.rep.Measurements[0].Sides {
		if s.N == 0 || s.Errors > 0 {
			t.Errorf("%s: %d answers, %d errors (%s)", s.Side, s.N, s.Errors, s.FirstError)
		}
		t.Logf("%s: %s p50 %.2f ms p99 %.2f ms", r.rep.Measurements[0].Name, s.Side, s.P50, s.P99)
	}
}
