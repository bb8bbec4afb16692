package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
)

// BenchmarkListPage is the list handler over a real index: a page of 100
// rich assets (authentication, the search, the answer), per request, with
// all attributes and with a sparse fieldset; and a page of registry group
// values beside it (profile it with -cpuprofile to see the API's own cost).
func BenchmarkListPage(b *testing.B) {
	ctx := context.Background()
	pool := testenv.Postgres(b)
	es, prefix := testenv.Elasticsearch(b)
	ic := index.New(es, prefix)
	if err := ic.EnsureIndex(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := store.Import(ctx, pool, store.NewNDJSONReader(strings.NewReader(hierarchy()+richAssets(300)))); err != nil {
		b.Fatal(err)
	}
	g, _ := store.ParseGrant("tenant:" + tenantA + ":tenant.read")
	secret, err := store.CreateToken(ctx, pool, "bench", []store.Grant{g})
	if err != nil {
		b.Fatal(err)
	}
	assets, err := store.AssetsByID(ctx, pool, benchAssetIDs(300))
	if err != nil {
		b.Fatal(err)
	}
	items := make([]index.WriteItem, len(assets))
	for i, a := range assets {
		d := index.Project(a)
		items[i] = index.WriteItem{ID: a.ID, Version: a.Version, Doc: &d}
	}
	if _, err := ic.Write(ctx, []string{ic.Alias()}, items); err != nil {
		b.Fatal(err)
	}
	if err := ic.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	// As serve runs it: with the authorization cache and its listener.
	s, err := New(Config{Pool: pool, Index: ic, Registerer: prometheus.NewRegistry(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), AuthCacheTTL: AuthCacheTTLDefault})
	if err != nil {
		b.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = s.WatchAuth(wctx) }()
	for _, live := s.auth.generation(); !live; _, live = s.auth.generation() {
		time.Sleep(time.Millisecond)
	}
	h := s.Handler()
	registry, _ := index.NewCatalogue().GroupByName("registry")
	for _, bc := range []struct{ name, query string }{
		{"group-values", "/groups/" + registry.ID + "/values"},
		{"all", ""},
		{"sparse", "&fields[container_images]=name,tags,risk_score,created_at"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			target := tenantPath(tenantA) + v + "&limit=100&sort=-risk_score" + bc.query
			if strings.HasPrefix(bc.query, "/groups/") {
				target = tenantPath(tenantA) + bc.query + v + "&limit=10&sort=-count&meta_fields=count"
			}
			b.ReportAllocs()
			var n int
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, target, nil)
				r.Header.Set("Authorization", "Token "+secret)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				n = w.Body.Len()
			}
			b.ReportMetric(float64(n), "B/answer")
		})
	}
}

func benchAssetIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = testAssetID(2000 + i)
	}
	return ids
}
