package api

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"testing"
)

// pgCounts runs a GROUP BY oracle: value -> count, from PostgreSQL.
func pgCounts(t *testing.T, e *env, sql string, args ...any) map[string]float64 {
	t.Helper()
	rows, err := e.pool.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("oracle %s: %v", sql, err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = float64(n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// apiCounts is value -> count of one group's values in tenant A.
func apiCounts(t *testing.T, e *env, group, filter string, disjunctive bool) map[string]float64 {
	t.Helper()
	q := url.Values{"meta_fields": {"count"}, "limit": {"100"}, "filter": {filter}}
	if disjunctive {
		q.Set("disjunctive", "true")
	}
	res := e.get("tenantA.read", tenantPath(tenantA)+"/groups/"+mustGroupID(t, group)+"/values"+v+"&"+q.Encode()).must(t, http.StatusOK)
	out := map[string]float64{}
	for _, it := range res.data(t) {
		out[attrs(it)["value"].(string)] = it["meta"].(map[string]any)["count"].(float64)
	}
	return out
}

// TestGroupValuesDisjunctive compares disjunctive counts with PostgreSQL
// GROUP BY queries over the same assets, written without the clauses the
// group's own field has.
func TestGroupValuesDisjunctive(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(30)+fewAssets())
	const tags = `SELECT k || ':' || v, count(*) FROM assets, jsonb_each_text(tags) AS t(k, v) WHERE tenant_id = $1`
	for _, tc := range []struct {
		name, group, filter string
		disjunctive         bool
		oracle              string
	}{
		{"own clause left out", "registry", "registry=in=(docker.io,gcr.io);tags.env==prod", true,
			`SELECT registry, count(*) FROM assets WHERE tenant_id = $1 AND tags->>'env' = 'prod' GROUP BY 1`},
		{"without the opt-in it applies", "registry", "registry=in=(docker.io,gcr.io);tags.env==prod", false,
			`SELECT registry, count(*) FROM assets WHERE tenant_id = $1 AND tags->>'env' = 'prod' AND registry IN ('docker.io','gcr.io') GROUP BY 1`},
		{"an OR mixing fields is kept", "registry", "registry==docker.io,labels==l1", true,
			`SELECT registry, count(*) FROM assets WHERE tenant_id = $1 AND (registry = 'docker.io' OR 'l1' = ANY(labels)) GROUP BY 1`},
		{"q is kept", "registry", "q==quay.io;registry==docker.io", true,
			`SELECT registry, count(*) FROM assets WHERE tenant_id = $1 AND registry = 'quay.io' GROUP BY 1`},
		{"tags: every tags.<key> clause is left out", "tags", "tags.env==prod;tags.team==x;registry==docker.io", true,
			tags + ` AND registry = 'docker.io' GROUP BY 1`},
		{"labels: only its own clause", "labels", "labels=in=(l1,l2);registry==gcr.io", true,
			`SELECT l, count(*) FROM assets, unnest(labels) AS l WHERE tenant_id = $1 AND registry = 'gcr.io' GROUP BY 1`},
		{"nothing left is every asset", "registry", "registry==docker.io", true,
			`SELECT registry, count(*) FROM assets WHERE tenant_id = $1 GROUP BY 1`},
	} {
		want := pgCounts(t, e, tc.oracle, tenantA)
		got := apiCounts(t, e, tc.group, tc.filter, tc.disjunctive)
		if len(want) == 0 || !maps.Equal(got, want) {
			t.Errorf("%s: %s %s = %v, PostgreSQL says %v", tc.name, tc.group, tc.filter, got, want)
		}
	}
	e.get("tenantA.read", tenantPath(tenantA)+"/groups/"+mustGroupID(t, "registry")+"/values"+v+"&disjunctive=yes").
		wantError(t, http.StatusBadRequest, "parameter", "disjunctive")
}
