package api

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

// postSearch creates a search in tenant A with the token and body (the
// groupA tokens in group A).
func (e *env) postSearch(token, body string) response {
	e.t.Helper()
	path := tenantPath(tenantA)
	if strings.HasPrefix(token, "groupA.") {
		path = groupPath(groupA)
	}
	return e.do(req{method: http.MethodPost, path: path + "/searches" + v, token: token, body: body})
}

// storedPIT reads the point in time of the search behind a Location.
func (e *env) storedPIT(loc string) (id, pit string) {
	e.t.Helper()
	id = strings.TrimSuffix(loc[strings.Index(loc, "/searches/")+len("/searches/"):], "/results?version=2024-10-15")
	if err := e.pool.QueryRow(context.Background(), `SELECT pit FROM searches WHERE id = $1`, id).Scan(&pit); err != nil {
		e.t.Fatal(err)
	}
	return id, pit
}

func TestSearchCapsAnswer429(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	e.reg = nil
	s, err := New(Config{Pool: e.pool, Index: e.index, MaxSearchesPerToken: 2, MaxSearchesPerTenant: 3})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Config.Handler = s.Handler()
	e.postSearch("tenantA.read", "").must(t, http.StatusFound)
	e.postSearch("tenantA.read", "").must(t, http.StatusFound)
	for _, tc := range []struct{ token, of string }{{"tenantA.read", "token"}, {"groupA.read", ""}, {"groupA.read", "tenant"}} {
		res := e.postSearch(tc.token, "")
		if tc.of == "" {
			res.must(t, http.StatusFound)
			continue
		}
		res.wantError(t, http.StatusTooManyRequests, "", "")
		secs, err := strconv.Atoi(res.header.Get("Retry-After"))
		if err != nil || secs < int(SearchTTLDefault.Seconds())-5 || secs > int(SearchTTLDefault.Seconds()) {
			t.Errorf("%s cap: Retry-After = %q", tc.of, res.header.Get("Retry-After"))
		}
		if !strings.Contains(string(res.raw), "The "+tc.of+" already has") {
			t.Errorf("%s cap: %s", tc.of, res.raw)
		}
	}
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM searches WHERE pit <> ''`).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d searches with a point in time, want 3 (%v)", n, err)
	}
}

func TestSearchReaperClosesPointsInTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	ctx := context.Background()
	loc := e.postSearch("tenantA.read", "").must(t, http.StatusFound).header.Get("Location")
	live := e.postSearch("tenantA.read", "").must(t, http.StatusFound).header.Get("Location")
	id, pit := e.storedPIT(loc)
	_, livePIT := e.storedPIT(live)
	if pit == "" || livePIT == "" {
		t.Fatal("a search has no point in time")
	}
	read := func(pit string) error {
		_, err := e.index.Search(ctx, index.SearchRequest{Scope: index.Scope{TenantID: tenantA}, PIT: pit, KeepAlive: time.Minute})
		return err
	}
	if err := read(pit); err != nil {
		t.Fatalf("the point in time is not open: %v", err)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE searches SET expires_at = now() - interval '1 second' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	n, err := ReapSearches(ctx, e.pool, e.index, 1)
	if err != nil || n != 1 {
		t.Fatalf("ReapSearches = %d, %v", n, err)
	}
	if err := read(pit); err == nil || !isMissingPIT(err) {
		t.Errorf("the expired search's point in time is still open: %v", err)
	}
	if err := read(livePIT); err != nil {
		t.Errorf("the live search's point in time was closed: %v", err)
	}
	e.get("tenantA.read", live).must(t, http.StatusOK)
}

// Elasticsearch answers a point-in-time search with the id to use next
// (decoded and encoded again). A stored id without its base64 padding
// comes back padded: the page must record what came back.
func TestSearchRecordsTheRenewedPointInTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(30))
	ctx := context.Background()
	padded := paddedPIT(t, e)
	t.Cleanup(func() { _ = e.index.ClosePIT(context.Background(), padded) })
	loc := e.postSearch("tenantA.read", `{"data":{"type":"searches","attributes":{"sort":"created_at"}}}`).must(t, http.StatusFound).header.Get("Location")
	id, opened := e.storedPIT(loc)
	if err := e.index.ClosePIT(ctx, opened); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSearchPIT(ctx, e.pool, id, opened, strings.TrimRight(padded, "=")); err != nil {
		t.Fatal(err)
	}
	page := e.get("tenantA.read", loc).must(t, http.StatusOK)
	if len(page.data(t)) != 10 {
		t.Fatalf("page of %d assets", len(page.data(t)))
	}
	if _, pit := e.storedPIT(loc); pit != padded {
		t.Errorf("stored point in time = %q, want the one Elasticsearch answered, %q", pit, padded)
	}
	e.get("tenantA.read", page.link("next")).must(t, http.StatusOK)
}

// paddedPIT opens a point in time over the env's alias and an empty index
// whose name makes the id's base64 end in padding.
func paddedPIT(t *testing.T, e *env) string {
	t.Helper()
	ctx := context.Background()
	es, _ := testenv.Elasticsearch(t)
	for _, suffix := range []string{"p", "pp", "ppp"} {
		extra := e.index.Alias() + "-" + suffix
		if err := e.index.CreateIndex(ctx, extra); err != nil {
			t.Fatal(err)
		}
		pit, err := index.New(es, e.index.Alias()+","+extra).OpenPIT(ctx, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(pit, "=") {
			return pit
		}
		_ = e.index.ClosePIT(ctx, pit)
	}
	t.Fatal("no point in time id with padding")
	return ""
}

// A search about to expire still pages: its point in time is not
// extended past the search.
func TestSearchPagesUntilItExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(30))
	loc := e.postSearch("tenantA.read", "").must(t, http.StatusFound).header.Get("Location")
	id, _ := e.storedPIT(loc)
	if _, err := e.pool.Exec(context.Background(), `UPDATE searches SET expires_at = now() + interval '800 milliseconds' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if n := len(e.get("tenantA.read", loc).must(t, http.StatusOK).data(t)); n != 10 {
		t.Errorf("page of %d", n)
	}
}

// A filter within the limit stays readable, though its canonical form is
// longer than the limit.
func TestSearchKeepsALongFilterReadable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	filter := `registry=='` + strings.Repeat(`"`, rsql.MaxInputLength-40) + `',registry==docker.io`
	node, err := rsql.Parse(filter)
	if err != nil {
		t.Fatal(err)
	}
	if len(filter) > rsql.MaxInputLength || len(node.String()) <= rsql.MaxInputLength {
		t.Fatalf("filter %d bytes, canonical %d: not the case under test", len(filter), len(node.String()))
	}
	body := `{"data":{"type":"searches","attributes":{"filter":` + strconv.Quote(filter) + `}}}`
	loc := e.postSearch("tenantA.read", body).must(t, http.StatusFound).header.Get("Location")
	res := e.get("tenantA.read", loc).must(t, http.StatusOK)
	if got := ids(res.data(t)); len(got) != 1 || got[0] != testAssetID(1) {
		t.Errorf("assets %v, want tenant A's one of docker.io", got)
	}
}

func TestElasticsearchRejectionsAreNotInternalErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		err        error
		status     int
		retryAfter string
		detail     string
	}{
		{"query rejected", &index.ResponseError{Status: 400, Type: "search_phase_execution_exception",
			Reason: "all shards failed (query_shard_exception: failed to create query: maxClauseCount is set to 1024)"},
			http.StatusBadRequest, "", "failed to create query: maxClauseCount is set to 1024."},
		{"wrapped", errors.Join(errors.New("searching assets"), &index.ResponseError{Status: 400, Type: "x_content_parse_exception", Reason: "[1:2] bad"}),
			http.StatusBadRequest, "", "[1:2] bad."},
		{"long reason", &index.ResponseError{Status: 400, Reason: strings.Repeat("r", 300)},
			http.StatusBadRequest, "", strings.Repeat("r", maxSearchReason) + "...."},
		{"rejected execution", &index.ResponseError{Status: 429, Type: "es_rejected_execution_exception", Reason: "queue full"},
			http.StatusServiceUnavailable, "5", "The search service is busy; try again later."},
		{"circuit breaking", &index.ResponseError{Status: 429, Type: "circuit_breaking_exception", Reason: "[parent] Data too large"},
			http.StatusServiceUnavailable, "5", "The search service is busy; try again later."},
		{"search cap", &store.SearchLimitError{Of: "token", Limit: 3, RetryAfter: 1500 * time.Millisecond},
			http.StatusTooManyRequests, "2", "The token already has 3 live searches"},
		{"server error stays", &index.ResponseError{Status: 500, Reason: "boom"},
			http.StatusServiceUnavailable, "5", "unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			r := httptest.NewRequest(http.MethodGet, "/rest/tenants/x/inventory/assets", nil)
			r = r.WithContext(withState(r.Context(), &requestState{id: "req", logger: log}))
			w := httptest.NewRecorder()
			writeError(w, r, searchFailed(tc.err))
			if w.Code != tc.status || w.Header().Get("Retry-After") != tc.retryAfter || !strings.Contains(w.Body.String(), tc.detail) {
				t.Errorf("%d, Retry-After %q, %s", w.Code, w.Header().Get("Retry-After"), w.Body)
			}
			// Elasticsearch's 400s and 429s are warnings, not errors.
			if re, isES := errors.AsType[*index.ResponseError](tc.err); isES && re.Status < 500 {
				if !strings.Contains(logs.String(), "level=WARN") || strings.Contains(logs.String(), "level=ERROR") {
					t.Errorf("logged %s", logs.String())
				}
			}
			if strings.Contains(w.Body.String(), "exception") {
				t.Errorf("the answer names Elasticsearch's internals: %s", w.Body)
			}
		})
	}
}
