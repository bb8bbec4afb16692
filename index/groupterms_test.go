package index

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/rsql"
)

// termsCase is a sort the API accepts, with the aggregate modes it
// names, and whether one terms aggregation can order by it exactly.
type termsCase struct {
	sort  string
	agg   map[string]string
	terms bool // for fields that are not pairs
}

var termsCases = []termsCase{
	{sort: "", terms: true},
	{sort: "count", terms: true},
	{sort: "-count", terms: true},
	{sort: "value", terms: true},
	{sort: "-value", terms: true},
	{sort: "-count,-value", terms: true},
	{sort: "-risk_score", agg: map[string]string{"risk_score": "max"}, terms: true},
	{sort: "risk_score", agg: map[string]string{"risk_score": "min"}, terms: true},
	{sort: "risk_score", agg: map[string]string{"risk_score": "max"}},
	{sort: "-risk_score", agg: map[string]string{"risk_score": "min"}},
	{sort: "-risk_score", agg: map[string]string{"risk_score": "sum"}},
	{sort: "-risk_score"}, // last
	{sort: "-issues", agg: map[string]string{"issues": "sum"}, terms: true},
	{sort: "issues", agg: map[string]string{"issues": "sum"}, terms: true},
	{sort: "-issues"}, // last
	{sort: "-issues,count", agg: map[string]string{"issues": "sum"}, terms: true},
	{sort: "-last_seen_at", agg: map[string]string{"last_seen_at": "max"}, terms: true},
	{sort: "updated_at", agg: map[string]string{"updated_at": "min"}, terms: true},
	{sort: "-built_at", agg: map[string]string{"built_at": "max"}, terms: true},
	{sort: "built_at", agg: map[string]string{"built_at": "min"}, terms: true},
	{sort: "-built_at", agg: map[string]string{"built_at": "first"}},
	{sort: "count,-last_seen_at", agg: map[string]string{"last_seen_at": "max"}, terms: true},
}

func sortFields(s string) []SortField {
	var out []SortField
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, SortField{Name: strings.TrimPrefix(p, "-"), Desc: strings.HasPrefix(p, "-")})
		}
	}
	return out
}

// pageJSON is a page as the API shows it, cursors and meta included.
func pageJSON(t *testing.T, r *GroupValuesResult) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// composite is r's page from the composite path, the exact reference.
func (f *fixture) composite(t *testing.T, r GroupValuesRequest) *GroupValuesResult {
	t.Helper()
	p, err := r.plan()
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.c.groupValuesComposite(context.Background(), p, r.After, r.Before)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// terms is r's page from the terms path; nil when it declined.
func (f *fixture) terms(t *testing.T, r GroupValuesRequest) *GroupValuesResult {
	t.Helper()
	p, err := r.plan()
	if err != nil {
		t.Fatal(err)
	}
	res, ok, err := f.c.groupValuesTerms(context.Background(), p, r.After, r.Before)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return nil
	}
	return res
}

// TestGroupValuesTermsMatchComposite is the equivalence oracle of the terms
// path: for few- and many-valued fields, labels, tags filtered on a tag key,
// every sort the API accepts and several page sizes, every page forward and
// backward from either path is the same (values, meta, cursors, edges), a
// cursor of one path gives the other the same next page, and the terms path
// answers every page within its depth for the sorts it can order.
func TestGroupValuesTermsMatchComposite(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.c.GroupTermsDepth = 40 // so deep pages of the larger fields take the composite path
	tenant := f.ids.tenants[0]
	tagFilter, err := rsql.Parse("tags.env=in=(prod,dev,gold)")
	if err != nil {
		t.Fatal(err)
	}
	fields := []struct {
		field  string
		filter rsql.Node
	}{{"class", nil}, {"registry", nil}, {"name", nil}, {"repository", nil}, {"labels", nil}, {"image_tag", nil},
		{"tags", nil}, {"tags", tagFilter}, {"os", nil}}
	var mu sync.Mutex
	served := map[string]int{}
	t.Run("fields", func(t *testing.T) {
		for _, fc := range fields {
			t.Run(fc.field, func(t *testing.T) {
				t.Parallel()
				for _, tc := range termsCases {
					for _, limit := range []int{3, 7} {
						name := fmt.Sprintf("%s/%v/%q%v/limit=%d", fc.field, fc.filter != nil, tc.sort, tc.agg, limit)
						r := GroupValuesRequest{Scope: Scope{TenantID: tenant}, Field: fc.field, Filter: fc.filter,
							Sort: sortFields(tc.sort), Aggregate: tc.agg, Limit: limit, Meta: []string{MetaCount, MetaRiskScore}}
						n := f.walkBothWays(t, name, r, tc.terms && fc.field != "tags")
						mu.Lock()
						served[tc.sort+fmt.Sprint(tc.agg)] += n
						mu.Unlock()
					}
				}
			})
		}
	})
	for _, tc := range termsCases {
		if n := served[tc.sort+fmt.Sprint(tc.agg)]; tc.terms != (n > 0) {
			t.Errorf("sort %q %v: the terms path served %d pages, want some: %v", tc.sort, tc.agg, n, tc.terms)
		}
	}
}

// walkBothWays pages r forward to the end on the composite path, asking
// the terms path (and, for the first page, GroupValues) for each page with
// the same cursor, then pages back from the end on the terms path with
// Before cursors; it returns how many pages the terms path served. must
// says the terms path has to serve every page within its depth.
func (f *fixture) walkBothWays(t *testing.T, name string, r GroupValuesRequest, must bool) int {
	t.Helper()
	served := 0
	check := func(r GroupValuesRequest, want *GroupValuesResult, pos int) {
		got := f.terms(t, r)
		if got == nil {
			if must && pos+2*r.Limit+2 <= f.c.GroupTermsDepth {
				t.Errorf("%s after %q before %q: the terms path declined a page within its depth", name, r.After, r.Before)
			}
			return
		}
		served++
		if g, w := pageJSON(t, got), pageJSON(t, want); g != w {
			t.Errorf("%s after %q before %q:\nterms     %s\ncomposite %s", name, r.After, r.Before, g, w)
		}
	}
	all, err := f.c.GroupValues(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	var pages []*GroupValuesResult
	for pos := 0; ; {
		res := f.composite(t, r)
		if pos == 0 && pageJSON(t, all) != pageJSON(t, res) {
			t.Errorf("%s: GroupValues\n got %s\nwant %s", name, pageJSON(t, all), pageJSON(t, res))
		}
		check(r, res, pos)
		pages = append(pages, res)
		if !res.HasAfter || len(pages) > 100 {
			break
		}
		pos += len(res.Values)
		r.After = res.Values[len(res.Values)-1].Cursor
	}
	// Back from the end: the page before page i is page i-1 (every page
	// but the last is full).
	r.After = ""
	for i := len(pages) - 1; i > 0; i-- {
		r.Before = pages[i].Values[0].Cursor
		check(r, pages[i-1], (i-1)*r.Limit)
	}
	return served
}

// A cursor made before cursors recorded their place is still a cursor:
// GroupValues answers it (on the composite path) with the same page.
func TestGroupValuesCursorWithoutPlace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	r := GroupValuesRequest{Scope: Scope{TenantID: f.ids.tenants[1]}, Field: "name", Sort: sortFields("-count"), Limit: 4}
	first, err := f.c.GroupValues(ctx, r)
	if err != nil || !first.HasAfter {
		t.Fatalf("first page: %v, %+v", err, first)
	}
	var c groupCursor
	if err := json.Unmarshal([]byte(first.Values[3].Cursor), &c); err != nil || c.Pos == nil || *c.Pos != 3 {
		t.Fatalf("cursor %s: %v; want it to record place 3", first.Values[3].Cursor, err)
	}
	r.After = first.Values[3].Cursor
	want := pageJSON(t, f.composite(t, r))
	c.Pos = nil
	old, _ := json.Marshal(c)
	r.After = string(old)
	if f.terms(t, r) != nil {
		t.Error("the terms path answered a cursor that does not say where it lies")
	}
	got, err := f.c.GroupValues(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if g := pageJSON(t, got); g != want {
		t.Errorf("old cursor:\n got %s\nwant %s", g, want)
	}
	r.After = `{"k":[1],"v":"x","o":-1}`
	if _, err := f.c.GroupValues(ctx, r); err == nil {
		t.Error("a cursor with a negative place: no error")
	}
}

// On a 3-shard index a terms aggregation cut to size is not exact: the
// terms path declines and the composite path answers.
func TestGroupValuesTermsNeedsOneShard(t *testing.T) {
	t.Parallel()
	c := newShardedClient(t, 3)
	assets, ids := synthAssets(300, 5)
	loadAssets(t, c, assets)
	f := &fixture{c: c, assets: assets, ids: ids}
	r := GroupValuesRequest{Scope: Scope{TenantID: ids.tenants[0]}, Field: "registry", Sort: sortFields("-count"), Limit: 2}
	if f.terms(t, r) != nil {
		t.Fatal("the terms path answered on a 3-shard index")
	}
	res, err := c.GroupValues(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := pageJSON(t, res), pageJSON(t, f.composite(t, r)); g != w {
		t.Errorf("3 shards:\n got %s\nwant %s", g, w)
	}
	// An answer from one shard (a reindex swapped the alias) corrects the
	// cached count.
	c.sawShards(1)
	if one, err := c.onePrimaryShard(context.Background()); err != nil || !one {
		t.Errorf("after an answer of one shard: one = %v, %v", one, err)
	}
}

func newShardedClient(t *testing.T, shards int) *Client {
	t.Helper()
	es, prefix := testenv.Elasticsearch(t)
	c := New(es, prefix)
	c.Settings = IndexSettings{Shards: shards}
	if err := c.EnsureIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

// When the settings cannot be read, the shard count is unknown (the exact
// path answers) without asking again, until an answer says how many shards
// it came from.
func TestShardCountUnknownUntilAnAnswer(t *testing.T) {
	t.Parallel()
	es, prefix := testenv.Elasticsearch(t)
	c := New(es, prefix) // no index behind the alias yet
	ctx := context.Background()
	if one, err := c.onePrimaryShard(ctx); err == nil || one {
		t.Fatalf("no index: one = %v, err = %v; want an error", one, err)
	}
	if n, ok := c.shards.get(c.Alias()); !ok || n != 0 {
		t.Fatalf("after a failed read: %d, %v; want 0 remembered", n, ok)
	}
	if one, err := c.onePrimaryShard(ctx); err != nil || one {
		t.Fatalf("unknown: one = %v, err = %v; want false without asking", one, err)
	}
	c.sawShards(1)
	if one, err := c.onePrimaryShard(ctx); err != nil || !one {
		t.Fatalf("after an answer from one shard: one = %v, %v", one, err)
	}
}

// searchCounter counts the _search requests a client sends.
type searchCounter struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (s *searchCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/_search") {
		s.n.Add(1)
	}
	return s.base.RoundTrip(r)
}

// A page of group values costs one aggregation when the sort's own
// aggregation computes every requested meta field, and a second one only
// for meta fields it did not compute.
func TestGroupValuesRequestsPerPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	counter := &searchCounter{base: testenv.ElasticsearchTransport(t)}
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{testenv.ElasticsearchURL(t)}, Transport: counter})
	if err != nil {
		t.Fatal(err)
	}
	c := New(es, f.c.Alias())
	scope := Scope{TenantID: f.ids.tenants[2]}
	for _, tc := range []struct {
		req  GroupValuesRequest
		want int64
	}{
		{GroupValuesRequest{Field: "registry", Meta: []string{MetaCount}, Sort: sortFields("-count")}, 1},
		{GroupValuesRequest{Field: "name", Meta: []string{MetaCount, MetaRiskScore}, Sort: sortFields("-risk_score"),
			Aggregate: map[string]string{"risk_score": "max"}}, 1},
		{GroupValuesRequest{Field: "name", Meta: []string{MetaCount, MetaIssues}, Sort: sortFields("-issues")}, 1}, // last: composite, one page
		{GroupValuesRequest{Field: "labels", Meta: []string{MetaCount, MetaLabels}, Sort: sortFields("count")}, 2},
		{GroupValuesRequest{Field: "labels", Meta: []string{MetaCount, MetaRiskScore}, Sort: sortFields("-risk_score"),
			Aggregate: map[string]string{"risk_score": "max"}}, 1},
	} {
		tc.req.Scope = scope
		if _, err := c.GroupValues(context.Background(), tc.req); err != nil { // reads the shard count once
			t.Fatal(err)
		}
		counter.n.Store(0)
		res, err := c.GroupValues(context.Background(), tc.req)
		if err != nil || len(res.Values) == 0 {
			t.Fatalf("%+v: %v, %+v", tc.req, err, res)
		}
		if got := counter.n.Load(); got != tc.want {
			t.Errorf("%s sort %v meta %v: %d searches, want %d", tc.req.Field, tc.req.Sort, tc.req.Meta, got, tc.want)
		}
	}
}
