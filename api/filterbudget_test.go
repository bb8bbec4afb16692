package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/rsql"
)

// withConfig is e answering through a second server built with the
// configuration edit makes, sharing e's database, index and tokens.
func (e *env) withConfig(edit func(*Config)) *env {
	e.t.Helper()
	cfg := Config{Pool: e.pool, Index: e.index}
	edit(&cfg)
	s, err := New(cfg)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	other := *e
	other.api = s
	other.srv = httptest.NewServer(s.Handler())
	e.t.Cleanup(other.srv.Close)
	return &other
}

// errorDetail is the detail of the first error of a response.
func (r response) errorDetail(t *testing.T) string {
	t.Helper()
	var doc ErrorDocument
	if err := json.Unmarshal(r.raw, &doc); err != nil || len(doc.Errors) == 0 {
		t.Fatalf("not an error document: %s", r.raw)
	}
	return doc.Errors[0].Detail
}

func repeatClause(clause string, n int) string {
	return strings.TrimSuffix(strings.Repeat(clause+";", n), ";")
}

// TestFilterCostLimit checks that a filter over the cost budget is a 400
// naming the cost and the limit wherever a filter is taken (list, search
// creation, group values), before any search, and that a filter within the
// budget is served.
func TestFilterCostLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(12))
	base := tenantPath(tenantA)
	expensive := repeatClause("q==x", rsql.MaxComparisons)
	cost := rsql.MaxComparisons * rsql.CostShortText
	wantDetail := func(r response) {
		t.Helper()
		d := r.errorDetail(t)
		if !strings.Contains(d, fmt.Sprintf("costs %d", cost)) || !strings.Contains(d, fmt.Sprintf("limit of %d", rsql.CostMaxDefault)) {
			t.Errorf("detail %q does not name the cost %d and the limit %d", d, cost, rsql.CostMaxDefault)
		}
	}
	filter := "&filter=" + url.QueryEscape(expensive)

	res := e.get("tenantA.read", base+v+filter)
	res.wantError(t, http.StatusBadRequest, "parameter", "filter")
	wantDetail(res)

	body, _ := json.Marshal(map[string]any{"data": map[string]any{"type": "searches", "attributes": map[string]any{"filter": expensive}}})
	res = e.do(req{method: http.MethodPost, path: base + "/searches" + v, token: "tenantA.read", body: string(body)})
	res.wantError(t, http.StatusBadRequest, "pointer", "/data/attributes/filter")
	wantDetail(res)

	res = e.get("tenantA.read", base+"/groups/"+mustGroupID(t, "registry")+"/values"+v+filter)
	res.wantError(t, http.StatusBadRequest, "parameter", "filter")
	wantDetail(res)

	// Authorization comes first, as for any other bad parameter.
	e.get("", base+v+filter).wantError(t, http.StatusUnauthorized, "", "")
	e.do(req{method: http.MethodPost, path: base + "/searches" + v, body: string(body)}).wantError(t, http.StatusUnauthorized, "", "")

	// Within the budget: served, and a search is created and its body
	// still reaches the handler.
	cheap := url.QueryEscape(repeatClause("q==nginx", 3) + ";registry=in=(docker.io,gcr.io)")
	e.get("tenantA.read", base+v+"&filter="+cheap).must(t, http.StatusOK)
	body, _ = json.Marshal(map[string]any{"data": map[string]any{"type": "searches", "attributes": map[string]any{"filter": "q==nginx", "limit": 10}}})
	res = e.do(req{method: http.MethodPost, path: base + "/searches" + v, token: "tenantA.read", body: string(body)}).must(t, http.StatusFound)
	e.get("tenantA.read", res.header.Get("Location")).must(t, http.StatusOK)

	// The budget is the server's configuration.
	tight := e.withConfig(func(c *Config) { c.FilterCostMax = rsql.CostText - 1 })
	res = tight.get("tenantA.read", base+v+"&filter=q==nginx")
	res.wantError(t, http.StatusBadRequest, "parameter", "filter")
	if d := res.errorDetail(t); !strings.Contains(d, fmt.Sprintf("limit of %d", rsql.CostText-1)) {
		t.Errorf("detail %q does not name the configured limit", d)
	}
	tight.get("tenantA.read", base+v+"&filter=registry==docker.io").must(t, http.StatusOK)
}

// TestFacetBounds checks that a group values request that would collect
// more values than the configured bound is a 400 asking for a filter, not a
// 503, that a narrower one is served, and that q on the values of a number
// or date field is a 400 on q.
func TestFacetBounds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(12)+fewAssets())
	base := tenantPath(tenantA)
	values := base + "/groups/" + mustGroupID(t, "registry") + "/values" + v
	e.get("tenantA.read", values).must(t, http.StatusOK)

	small := e.withConfig(func(c *Config) { c.GroupValuesMaxBuckets = 2 })
	res := small.get("tenantA.read", values)
	res.wantError(t, http.StatusBadRequest, "", "")
	if d := res.errorDetail(t); !strings.Contains(d, "add a filter") || res.header.Get("Retry-After") != "" {
		t.Errorf("over the bound: detail %q, Retry-After %q", d, res.header.Get("Retry-After"))
	}
	small.get("tenantA.read", values+"&filter=registry=in=(docker.io,gcr.io)").must(t, http.StatusOK)

	cat := index.NewCatalogue()
	for _, name := range []string{"risk_score", "built_at"} {
		f, _ := cat.FilterByName(name)
		path := base + "/filters/" + f.ID + "/values" + v
		e.get("tenantA.read", path+"&q=20").wantError(t, http.StatusBadRequest, "parameter", "q")
		e.get("tenantA.read", path).must(t, http.StatusOK)
	}
}
