package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/index"
)

// manyAssets are n assets of tenant A in OA1, with created_at descending
// by index and a few distinct registries, so sorts have ties.
func manyAssets(n int) string {
	var b strings.Builder
	regs := []string{"docker.io", "gcr.io", "quay.io"}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		b.WriteString(assetLine(testAssetID(1000+i), tenantA, []string{orgA1}, map[string]any{
			"registry": regs[i%3], "repository": fmt.Sprintf("team/app%03d", i),
			"created_at": base.Add(time.Duration(i/2) * time.Hour).Format(time.RFC3339),
			"labels":     []string{fmt.Sprintf("l%d", i%5)},
			"tags":       map[string]string{"env": []string{"prod", "dev"}[i%2]},
		}))
	}
	return b.String()
}

func TestListEveryScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	for _, tc := range []struct {
		token, path string
		want        []int
	}{
		{"tenantA.read", tenantPath(tenantA), []int{1, 2, 3, 5}},
		{"groupA.read", groupPath(groupA), []int{1, 2}},
		{"tenantA.read", groupPath(groupA2), []int{3}},
		{"orgA1.read", orgPath(orgA1), []int{1}},
		{"tenantA.read", orgPath(orgA2), []int{1, 2}},
		{"tenantB.edit", tenantPath(tenantB), []int{4}},
	} {
		res := e.get(tc.token, tc.path+v+"&meta_count=with").must(t, http.StatusOK)
		var want []string
		for _, n := range tc.want {
			want = append(want, testAssetID(n))
		}
		if got := ids(res.data(t)); !slices.Equal(got, want) {
			t.Errorf("%s: ids = %v, want %v", tc.path, got, want)
		}
		if c := res.doc["meta"].(map[string]any)["count"]; c != float64(len(want)) {
			t.Errorf("%s: meta.count = %v", tc.path, c)
		}
		if res.link("self") == "" || res.link("first") == "" || res.link("next") != "" || res.link("prev") != "" {
			t.Errorf("%s: links = %v", tc.path, res.doc["links"])
		}
	}
	// Filter, sort, count only, sparse fields.
	res := e.get("tenantA.read", tenantPath(tenantA)+v+"&filter="+url.QueryEscape("registry==docker.io,labels==prod")+"&sort=-registry").must(t, http.StatusOK)
	if got := ids(res.data(t)); !slices.Equal(got, []string{testAssetID(1)}) {
		t.Errorf("filtered ids = %v", got)
	}
	// An unencoded ';' is RSQL's AND, not a query separator.
	res = e.get("tenantA.read", tenantPath(tenantA)+v+"&filter=registry==docker.io;labels==prod").must(t, http.StatusOK)
	if got := ids(res.data(t)); !slices.Equal(got, []string{testAssetID(1)}) {
		t.Errorf("ids with an unencoded ';' = %v", got)
	}
	res = e.get("tenantA.read", tenantPath(tenantA)+v+"&sort=-registry").must(t, http.StatusOK)
	if got := ids(res.data(t)); !slices.Equal(got, []string{testAssetID(3), testAssetID(5), testAssetID(2), testAssetID(1)}) {
		t.Errorf("sorted ids = %v", got)
	}
	res = e.get("tenantA.read", tenantPath(tenantA)+v+"&meta_count=only").must(t, http.StatusOK)
	if len(res.data(t)) != 0 || res.doc["meta"].(map[string]any)["count"] != 4.0 {
		t.Errorf("count only = %s", res.raw)
	}
	res = e.get("tenantA.read", tenantPath(tenantA)+v+"&fields[container_images]=registry").must(t, http.StatusOK)
	for _, it := range res.data(t) {
		if a := attrs(it); len(a) != 1 || a["registry"] == nil {
			t.Errorf("sparse attributes = %v", a)
		}
	}
}

func TestListBadInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	base := tenantPath(tenantA)
	for _, tc := range []struct {
		name, query, param string
	}{
		{"limit too small", "&limit=9", "limit"},
		{"limit too big", "&limit=101", "limit"},
		{"limit not a number", "&limit=ten", "limit"},
		{"unknown sort", "&sort=colour", "sort"},
		{"sort twice", "&sort=registry,-registry", "sort"},
		{"bad meta_count", "&meta_count=all", "meta_count"},
		{"filter syntax", "&filter=" + url.QueryEscape("registry==docker.io;"), "filter"},
		{"unknown selector", "&filter=" + url.QueryEscape("colour==red"), "filter"},
		{"bad cursor", "&starting_after=v1.garbage!", "starting_after"},
		{"cursor without prefix", "&ending_before=abc", "ending_before"},
		{"both cursors", "&starting_after=a&ending_before=b", "ending_before"},
		{"bad version", "", "version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := base + v + tc.query
			if tc.name == "bad version" {
				path = base + "?version=2024-1-1"
			}
			e.get("tenantA.read", path).wantError(t, http.StatusBadRequest, "parameter", tc.param)
		})
	}
	t.Run("rsql position", func(t *testing.T) {
		res := e.get("tenantA.read", base+v+"&filter="+url.QueryEscape("registry==a;colour==red"))
		res.wantError(t, http.StatusBadRequest, "parameter", "filter")
		if d := res.raw; !strings.Contains(string(d), "position 12") {
			t.Errorf("detail lacks the position: %s", d)
		}
	})
	t.Run("version before the first", func(t *testing.T) {
		res := e.get("tenantA.read", base+"?version=2023-01-01")
		res.wantError(t, http.StatusBadRequest, "parameter", "version")
		if !strings.Contains(string(res.raw), "2024-10-15") {
			t.Errorf("detail does not list the versions: %s", res.raw)
		}
	})
	t.Run("later version is served the current one", func(t *testing.T) {
		res := e.get("tenantA.read", base+"?version=2026-01-01").must(t, http.StatusOK)
		if res.header.Get("snyk-version-requested") != "2026-01-01" || res.header.Get("snyk-version-served") != "2024-10-15" {
			t.Errorf("headers = %v", res.header)
		}
	})
}

func TestPagingForwardAndBackward(t *testing.T) {
	t.Parallel()
	const n = 250
	e := newEnv(t, manyAssets(n))
	for _, sort := range []string{"", "-created_at", "registry,-created_at"} {
		t.Run("sort="+sort, func(t *testing.T) {
			first := tenantPath(tenantA) + v + "&limit=37&sort=" + url.QueryEscape(sort)
			var forward []string
			var pages []response
			next := first
			for next != "" {
				res := e.get("tenantA.read", next).must(t, http.StatusOK)
				pages = append(pages, res)
				forward = append(forward, ids(res.data(t))...)
				next = res.link("next")
				if len(pages) > 20 {
					t.Fatal("too many pages")
				}
			}
			if len(forward) != n {
				t.Fatalf("forward: %d assets, want %d", len(forward), n)
			}
			seen := map[string]bool{}
			for _, id := range forward {
				if seen[id] {
					t.Fatalf("forward: %s twice", id)
				}
				seen[id] = true
			}
			if pages[0].link("prev") != "" {
				t.Error("first page has a prev link")
			}
			// Back from the last page to the first.
			backward := ids(pages[len(pages)-1].data(t))
			prev := pages[len(pages)-1].link("prev")
			for prev != "" {
				res := e.get("tenantA.read", prev).must(t, http.StatusOK)
				backward = append(ids(res.data(t)), backward...)
				if next := res.link("next"); next == "" {
					t.Fatal("backward page without next")
				}
				prev = res.link("prev")
			}
			if !slices.Equal(backward, forward) {
				t.Fatalf("backward order differs from forward order")
			}
		})
	}
	t.Run("cursor of another query", func(t *testing.T) {
		res := e.get("tenantA.read", tenantPath(tenantA)+v+"&sort=registry").must(t, http.StatusOK)
		u, _ := url.Parse(res.link("next"))
		cursor := u.Query().Get("starting_after")
		for _, other := range []string{
			tenantPath(tenantA) + v + "&sort=-registry",
			tenantPath(tenantA) + v + "&sort=registry&filter=registry==gcr.io",
			orgPath(orgA1) + v + "&sort=registry",
		} {
			e.get("tenantA.read", other+"&starting_after="+cursor).wantError(t, http.StatusBadRequest, "parameter", "starting_after")
		}
		// The same query (other limit, other fields) accepts it.
		e.get("tenantA.read", tenantPath(tenantA)+v+"&sort=registry&limit=20&starting_after="+cursor).must(t, http.StatusOK)
	})
}

func TestUpdateThenListShowsTheChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	id := testAssetID(2)
	e.patch("groupA.edit", groupPath(groupA)+"/"+id+v, patchBody(id, `{"labels":{"add":["fresh"]},"tags":{"add":{"owner":"me"}}}`)).must(t, http.StatusOK)
	e.reindex(id) // what the sync worker does
	res := e.get("tenantA.read", tenantPath(tenantA)+v+"&filter="+url.QueryEscape("labels==fresh;tags.owner==me")).must(t, http.StatusOK)
	if got := ids(res.data(t)); !slices.Equal(got, []string{id}) {
		t.Errorf("ids = %v", got)
	}
}

func TestSearches(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(30))
	for _, base := range []string{tenantPath(tenantA), groupPath(groupA), orgPath(orgA1)} {
		res := e.do(req{method: http.MethodPost, path: base + "/searches" + v, token: "tenantA.read",
			body: `{"data":{"type":"searches","attributes":{"filter":"registry==gcr.io","sort":"-created_at","limit":10,"meta_count":"with"}}}`})
		res.must(t, http.StatusFound)
		loc := res.header.Get("Location")
		if !strings.HasPrefix(loc, e.srv.URL+base+"/searches/") || !strings.HasSuffix(loc, "/results?version=2024-10-15") {
			t.Fatalf("Location = %q", loc)
		}
		if res.doc["jsonapi"].(map[string]any)["version"] != "1.0" {
			t.Errorf("302 body = %s", res.raw)
		}
		// An asset added after the search was created stays out of it.
		if base == tenantPath(tenantA) {
			e.patch("tenantA.edit", tenantPath(tenantA)+"/"+testAssetID(1000)+v, patchBody(testAssetID(1000), `{"labels":["late"]}`)).must(t, http.StatusOK)
			e.reindex(testAssetID(1000))
		}
		var got []string
		next := loc
		for next != "" {
			page := e.get("tenantA.read", next).must(t, http.StatusOK)
			got = append(got, ids(page.data(t))...)
			if page.doc["meta"].(map[string]any)["count"] != 10.0 {
				t.Errorf("meta = %v", page.doc["meta"])
			}
			next = page.link("next")
		}
		if len(got) != 10 { // i%3 == 1 of 30
			t.Errorf("%s: search returned %d assets", base, len(got))
		}
		// Another scope cannot read it; a read token of another tenant neither.
		e.get("tenantA.read", strings.Replace(loc, base, tenantPath(tenantB), 1)).wantError(t, http.StatusNotFound, "", "")
		e.get("tenantB.edit", loc).wantError(t, http.StatusNotFound, "", "")
	}
	e.get("tenantA.read", tenantPath(tenantA)+"/searches/"+missing+"/results"+v).wantError(t, http.StatusNotFound, "", "")
	e.do(req{method: http.MethodPost, path: tenantPath(tenantA) + "/searches" + v, token: "tenantA.read",
		body: `{"data":{"type":"searches","attributes":{"filter":"registry=="}}}`}).wantError(t, http.StatusBadRequest, "pointer", "/data/attributes/filter")
	e.do(req{method: http.MethodPost, path: tenantPath(tenantA) + "/searches" + v, token: "tenantA.read",
		body: `{"data":{"type":"searches","attributes":{"limit":5}}}`}).wantError(t, http.StatusBadRequest, "pointer", "/data/attributes/limit")
	e.do(req{method: http.MethodPost, path: tenantPath(tenantA) + "/searches" + v, token: "tenantA.read",
		body: `{"data":{"type":"searches","attributes":{"colour":"red"}}}`}).wantError(t, http.StatusBadRequest, "pointer", "/data/attributes/colour")
	// No body: everything in scope.
	e.do(req{method: http.MethodPost, path: tenantPath(tenantA) + "/searches" + v, token: "tenantA.read"}).must(t, http.StatusFound)
	// An expired search is gone.
	res := e.do(req{method: http.MethodPost, path: tenantPath(tenantA) + "/searches" + v, token: "tenantA.read"}).must(t, http.StatusFound)
	if _, err := e.pool.Exec(context.Background(), `UPDATE searches SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	e.get("tenantA.read", res.header.Get("Location")).wantError(t, http.StatusNotFound, "", "")
}

func TestElasticsearchDownReadsFailWritesWork(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{"http://127.0.0.1:1"}, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	down := e.newServerWith(index.New(es, "nothing"))
	e.srv.Config.Handler = down.Handler()
	e.get("tenantA.read", tenantPath(tenantA)+v).wantError(t, http.StatusServiceUnavailable, "", "")
	e.get("tenantA.read", tenantPath(tenantA)+"/groups/"+mustGroupID(t, "registry")+"/values"+v).wantError(t, http.StatusServiceUnavailable, "", "")
	id := testAssetID(1)
	e.patch("tenantA.edit", tenantPath(tenantA)+"/"+id+v, patchBody(id, `{"labels":{"add":["offline"]}}`)).must(t, http.StatusOK)
	e.get("tenantA.read", tenantPath(tenantA)+"/"+id+v).must(t, http.StatusOK)
	res := e.get("", "/readyz")
	if res.status != http.StatusServiceUnavailable {
		t.Errorf("readyz = %d %s", res.status, res.raw)
	}
}

func (e *env) newServerWith(ic *index.Client) *Server {
	e.t.Helper()
	saved := e.reg
	e.reg = nil // a second server may not register the same metrics
	defer func() { e.reg = saved }()
	s, err := New(Config{Pool: e.pool, Index: ic})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func mustGroupID(t *testing.T, name string) string {
	g, ok := index.NewCatalogue().GroupByName(name)
	if !ok {
		t.Fatalf("no group field %s", name)
	}
	return g.ID
}

func TestPostgresDownIsUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	// A pool on a port nothing listens on stands for PostgreSQL restarting.
	down, err := pgxpool.New(context.Background(), "postgres://assets@127.0.0.1:1/assets?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	saved := e.reg
	e.reg = nil
	s, err := New(Config{Pool: down, Index: e.index})
	e.reg = saved
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Config.Handler = s.Handler()
	e.get("tenantA.read", tenantPath(tenantA)+v).wantError(t, http.StatusServiceUnavailable, "", "")
	id := testAssetID(1)
	e.patch("tenantA.edit", tenantPath(tenantA)+"/"+id+v, patchBody(id, `{"labels":{"add":["x"]}}`)).wantError(t, http.StatusServiceUnavailable, "", "")
}
