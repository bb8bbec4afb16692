package sync

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
)

// setupSharded is setup with an index of the given number of shards,
// fully synced.
func setupSharded(t *testing.T, assets, shards int) *fixture {
	t.Helper()
	pool := testenv.Postgres(t)
	es, prefix := testenv.Elasticsearch(t)
	idx := index.New(es, prefix)
	idx.Settings = index.IndexSettings{Shards: shards}
	ctx := context.Background()
	if err := idx.EnsureIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := idx.SettingsOf(ctx, idx.Alias()); err != nil || got.Shards != shards {
		t.Fatalf("index has %+v (%v), want %d shards", got, err, shards)
	}
	gen, err := seed.New(seed.Options{Assets: assets, Tenants: 2, Groups: 3, Orgs: 6, Seed: 13})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(ctx, pool, gen); err != nil {
		t.Fatal(err)
	}
	f := &fixture{pool: pool, idx: idx, es: es, summary: gen.Summary()}
	drain(t, NewWorker(pool, idx, quiet(), WorkerConfig{BatchSize: 500}))
	if err := idx.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return f
}

// oracleScope is one scope of the aggregation oracle: the index's and the
// SQL condition on assets a that selects the same rows ($1 tenant, $2 org).
type oracleScope struct {
	name  string
	scope index.Scope
	sql   string
}

func oracleScopes(f *fixture) []oracleScope {
	tenant := f.summary.Tenants[0]
	var org string
	if err := f.pool.QueryRow(context.Background(),
		`SELECT ao.org_id FROM asset_orgs ao JOIN assets a ON a.id = ao.asset_id WHERE a.tenant_id = $1
		 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`, tenant).Scan(&org); err != nil {
		panic(err)
	}
	return []oracleScope{
		{"tenant", index.Scope{TenantID: tenant}, `a.tenant_id = $1 AND $2::uuid IS NOT NULL`},
		{"org", index.Scope{TenantID: tenant, OrgID: org},
			`a.tenant_id = $1 AND EXISTS (SELECT 1 FROM asset_orgs ao WHERE ao.asset_id = a.id AND ao.org_id = $2)`},
	}
}

// oracleValues are the GROUP BY counts PostgreSQL gives for a group
// field: the value expression over assets a, empty values left out as the
// projection leaves them out.
var oracleValues = map[string]string{
	"registry":     `SELECT v, count(*) FROM assets a, LATERAL (SELECT NULLIF(a.registry, '')) x(v) WHERE %s AND v IS NOT NULL GROUP BY v`,
	"repository":   `SELECT v, count(*) FROM assets a, LATERAL (SELECT NULLIF(a.repository, '')) x(v) WHERE %s AND v IS NOT NULL GROUP BY v`,
	"os":           `SELECT v, count(*) FROM assets a, LATERAL (SELECT NULLIF(a.os, '')) x(v) WHERE %s AND v IS NOT NULL GROUP BY v`,
	"architecture": `SELECT v, count(*) FROM assets a, LATERAL (SELECT NULLIF(a.architecture, '')) x(v) WHERE %s AND v IS NOT NULL GROUP BY v`,
	"labels":       `SELECT v, count(*) FROM assets a, unnest(a.labels) v WHERE %s GROUP BY v`,
	"image_tag":    `SELECT v, count(*) FROM assets a, unnest(a.image_tags) v WHERE %s GROUP BY v`,
}

func groupByOracle(t *testing.T, f *fixture, field string, sc oracleScope) map[string]int64 {
	t.Helper()
	q := fmt.Sprintf(oracleValues[field], sc.sql)
	rows, err := f.pool.Query(context.Background(), q, sc.scope.TenantID, orNil(sc.scope.OrgID))
	if err != nil {
		t.Fatalf("%s: %v", field, err)
	}
	want := map[string]int64{}
	for rows.Next() {
		var v string
		var n int64
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		want[v] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return want
}

// orNil is a tenant-scope placeholder for the org parameter.
func orNil(org string) any {
	if org == "" {
		return "00000000-0000-0000-0000-000000000000"
	}
	return org
}

// allGroupValues pages through every value of a field, sorted by count
// descending, with meta count.
func allGroupValues(t *testing.T, f *fixture, field string, s index.Scope) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	req := index.GroupValuesRequest{Scope: s, Field: field, Meta: []string{index.MetaCount}, Limit: 100,
		Sort: []index.SortField{{Name: index.MetaCount, Desc: true}}}
	last := int64(-1)
	for {
		res, err := f.idx.GroupValues(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", field, err)
		}
		for _, v := range res.Values {
			if _, dup := got[v.Value]; dup {
				t.Errorf("%s: %q twice", field, v.Value)
			}
			if last >= 0 && v.Meta.Count > last {
				t.Errorf("%s: %q count %d after %d: not sorted by count", field, v.Value, v.Meta.Count, last)
			}
			got[v.Value], last = v.Meta.Count, v.Meta.Count
		}
		if !res.HasAfter {
			return got
		}
		req.After = res.Values[len(res.Values)-1].Cursor
	}
}

// allFilterValues pages through every distinct value of a filter field.
func allFilterValues(t *testing.T, f *fixture, field string, s index.Scope) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	req := index.FilterValuesRequest{Scope: s, Field: field, Limit: 100}
	for {
		res, err := f.idx.FilterValues(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", field, err)
		}
		for _, v := range res.Values {
			got[v.Value]++
		}
		if !res.HasAfter {
			return got
		}
		req.After = res.Values[len(res.Values)-1].Cursor
	}
}

// On a 3-shard index (default routing: every tenant's documents spread
// over all shards), group values with their counts and meta (sum, max,
// union of labels), filter values and the total of a search equal what
// PostgreSQL's GROUP BY and count say.
func TestAggregationsExactOnThreeShards(t *testing.T) {
	t.Parallel()
	f := setupSharded(t, 3000, 3)
	ctx := context.Background()
	for _, sc := range oracleScopes(f) {
		assertSpread(t, f, sc.scope)
		for field := range oracleValues {
			want := groupByOracle(t, f, field, sc)
			if len(want) < 2 {
				t.Fatalf("%s %s: the oracle has %d values; the data set proves nothing", sc.name, field, len(want))
			}
			if got := allGroupValues(t, f, field, sc.scope); !maps.Equal(got, want) {
				t.Errorf("%s %s: group values differ from GROUP BY: %d values, want %d; %s",
					sc.name, field, len(got), len(want), firstDiff(got, want))
			}
		}
		checkRegistryMeta(t, f, sc)
		for _, field := range []string{"registry", "labels", "image_tag"} {
			gv := groupByOracle(t, f, field, sc)
			got := allFilterValues(t, f, field, sc.scope)
			if len(got) != len(gv) {
				t.Errorf("%s %s: %d filter values, want %d", sc.name, field, len(got), len(gv))
			}
			for v, n := range got {
				if _, ok := gv[v]; !ok || n != 1 {
					t.Errorf("%s %s: filter value %q (seen %d times) not one of PostgreSQL's", sc.name, field, v, n)
				}
			}
		}
		var want int64
		q := `SELECT count(*) FROM assets a WHERE ` + sc.sql
		if err := f.pool.QueryRow(ctx, q, sc.scope.TenantID, orNil(sc.scope.OrgID)).Scan(&want); err != nil {
			t.Fatal(err)
		}
		res, err := f.idx.Search(ctx, index.SearchRequest{Scope: sc.scope, Count: index.CountOnly})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total == nil || *res.Total != want {
			t.Errorf("%s: search total %v, want %d", sc.name, res.Total, want)
		}
	}
}

// assertSpread checks that the scope's documents live on more than one
// shard, so the test exercises a fan-out and a merge.
func assertSpread(t *testing.T, f *fixture, s index.Scope) {
	t.Helper()
	perShard, err := f.idx.ShardCounts(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	nonEmpty := 0
	for _, n := range perShard {
		if n > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 2 {
		t.Fatalf("scope %+v sits on %d shard(s) (%v): nothing to merge", s, nonEmpty, perShard)
	}
}

func firstDiff(got, want map[string]int64) string {
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			return fmt.Sprintf("%q: got %d (present %v), want %d", k, g, ok, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			return fmt.Sprintf("%q: got %d, not in PostgreSQL", k, g)
		}
	}
	return "same"
}

// On a 3-shard index, deletes by tombstone remove every document from
// whichever shard holds it, and verify's scans see every shard: documents
// whose deletes were lost are found as extra and removed by repair.
func TestDeleteAndVerifyOnThreeShards(t *testing.T) {
	t.Parallel()
	f := setupSharded(t, 1200, 3)
	ctx := context.Background()
	tenant := index.Scope{TenantID: f.summary.Tenants[0]}
	before := sumShards(t, f, tenant)
	// Delete 150 of the tenant's assets through the outbox.
	tag, err := f.pool.Exec(ctx, `DELETE FROM assets WHERE id IN (
		SELECT id FROM assets WHERE tenant_id = $1 ORDER BY id LIMIT 150)`, tenant.TenantID)
	if err != nil || tag.RowsAffected() != 150 {
		t.Fatalf("deleting: %v (%d rows)", err, tag.RowsAffected())
	}
	w := NewWorker(f.pool, f.idx, quiet(), WorkerConfig{BatchSize: 64})
	drain(t, w)
	if got := sumShards(t, f, tenant); got != before-150 {
		t.Errorf("after 150 deletes the shards hold %d of the tenant's documents, want %d", got, before-150)
	}
	assertNoDrift(t, f)

	// Lose the tombstones of 90 more deletes: verify must find all of them,
	// on whichever shard, and repair must remove them.
	if _, err := f.pool.Exec(ctx, `DELETE FROM assets WHERE id IN (
		SELECT id FROM assets WHERE tenant_id = $1 ORDER BY id DESC LIMIT 90)`, tenant.TenantID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `DELETE FROM asset_outbox`); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, f.pool, f.idx, VerifyConfig{TenantID: tenant.TenantID, Repair: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Drifted != 90 || len(rep.Tenants) != 1 || len(rep.Tenants[0].Extra) != 90 {
		t.Fatalf("verify found %d drifted (%+v), want the 90 extra documents", rep.Drifted, rep.Tenants)
	}
	drain(t, w)
	if got := sumShards(t, f, tenant); got != before-240 {
		t.Errorf("after repair the shards hold %d of the tenant's documents, want %d", got, before-240)
	}
	assertNoDrift(t, f)
}

// sumShards refreshes and adds up the scope's documents over every shard.
func sumShards(t *testing.T, f *fixture, s index.Scope) int64 {
	t.Helper()
	if err := f.idx.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	counts, err := f.idx.ShardCounts(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, c := range counts {
		n += c
	}
	if len(counts) != 3 {
		t.Fatalf("%d shards, want 3", len(counts))
	}
	return n
}

// A reindex creates its new index with the client's settings, whatever
// the shape of the index it replaces, and serves the same documents.
func TestReindexAppliesIndexSettings(t *testing.T) {
	t.Parallel()
	f := setupSharded(t, 400, 1)
	ctx := context.Background()
	f.idx.Settings = index.IndexSettings{Shards: 3, Replicas: 0}
	res, err := Reindex(ctx, f.pool, f.idx, quiet(), ReindexConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Settings != f.idx.Settings {
		t.Errorf("result settings %+v, want %+v", res.Settings, f.idx.Settings)
	}
	got, err := f.idx.SettingsOf(ctx, f.idx.Alias())
	if err != nil || got != f.idx.Settings {
		t.Fatalf("the alias serves %+v (%v), want %+v", got, err, f.idx.Settings)
	}
	assertNoDrift(t, f)
}

// metaOracle is what PostgreSQL says of each registry in scope: the sum of
// risk scores (nil when none has one), the latest last_seen_at and the
// union of labels, sorted.
type metaOracle struct {
	risk     *int64
	lastSeen time.Time
	labels   []string
}

func registryMetaOracle(t *testing.T, f *fixture, sc oracleScope) map[string]*metaOracle {
	t.Helper()
	ctx := context.Background()
	args := []any{sc.scope.TenantID, orNil(sc.scope.OrgID)}
	want := map[string]*metaOracle{}
	rows, err := f.pool.Query(ctx, `SELECT a.registry, sum(a.risk_score), max(a.last_seen_at) FROM assets a
		WHERE `+sc.sql+` AND a.registry <> '' GROUP BY 1`, args...)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		m := &metaOracle{}
		var reg string
		if err := rows.Scan(&reg, &m.risk, &m.lastSeen); err != nil {
			t.Fatal(err)
		}
		want[reg] = m
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	rows, err = f.pool.Query(ctx, `SELECT a.registry, l FROM assets a, unnest(a.labels) l
		WHERE `+sc.sql+` AND a.registry <> '' GROUP BY 1, 2 ORDER BY 1, l COLLATE "C"`, args...)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var reg, l string
		if err := rows.Scan(&reg, &l); err != nil {
			t.Fatal(err)
		}
		want[reg].labels = append(want[reg].labels, l)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	return want
}

// checkRegistryMeta compares the sum, max and union meta of every
// registry with registryMetaOracle.
func checkRegistryMeta(t *testing.T, f *fixture, sc oracleScope) {
	t.Helper()
	want := registryMetaOracle(t, f, sc)
	withBoth := 0
	for _, w := range want {
		if w.risk != nil && len(w.labels) > 1 {
			withBoth++
		}
	}
	if withBoth == 0 {
		t.Fatalf("%s: no registry has risk scores and labels; the meta check proves nothing", sc.name)
	}
	res, err := f.idx.GroupValues(context.Background(), index.GroupValuesRequest{Scope: sc.scope, Field: "registry",
		Limit: 100, Meta: []string{index.MetaRiskScore, index.MetaLastSeenAt, index.MetaLabels},
		Aggregate: map[string]string{index.MetaRiskScore: index.ModeSum, index.MetaLastSeenAt: index.ModeMax, index.MetaLabels: index.ModeSum}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Values) != len(want) || res.HasAfter {
		t.Fatalf("%s: %d registries (more: %v), want %d", sc.name, len(res.Values), res.HasAfter, len(want))
	}
	for _, v := range res.Values {
		w, m := want[v.Value], v.Meta
		switch {
		case w == nil:
			t.Errorf("%s: registry %q not in PostgreSQL", sc.name, v.Value)
		case (w.risk == nil) != (m.RiskScore == nil) || (w.risk != nil && *w.risk != *m.RiskScore):
			t.Errorf("%s %s: risk score sum %v, want %v", sc.name, v.Value, m.RiskScore, w.risk)
		case m.LastSeenAt == nil || m.LastSeenAt.UnixMilli() != w.lastSeen.UnixMilli():
			t.Errorf("%s %s: last_seen_at max %v, want %v", sc.name, v.Value, m.LastSeenAt, w.lastSeen)
		case !slices.Equal(m.Labels, w.labels) && !(len(m.Labels) == 0 && len(w.labels) == 0):
			t.Errorf("%s %s: labels %q, want %q", sc.name, v.Value, m.Labels, w.labels)
		}
	}
}
