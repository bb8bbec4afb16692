package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	assetsync "github.com/openinventory/assets/sync"
)

func TestParseSearchableWait(t *testing.T) {
	t.Parallel()
	const limit = 30 * time.Second
	for _, tc := range []struct {
		name    string
		prefer  []string
		asked   bool
		bound   time.Duration
		wantErr bool
	}{
		{"none", nil, false, 0, false},
		{"default bound", []string{"wait-for=searchable"}, true, SearchableWaitDefault, false},
		{"wait=N", []string{"wait-for=searchable, wait=10"}, true, 10 * time.Second, false},
		{"cut to the limit", []string{"wait=100,wait-for=searchable"}, true, limit, false},
		{"two header lines, quoted, parameters", []string{`respond-async, wait-for="Searchable"; x=y`, "wait=2"}, true, 2 * time.Second, false},
		{"wait alone asks nothing", []string{"wait=3"}, false, 0, false},
		{"other preferences ignored", []string{"return=minimal"}, false, 0, false},
		{"unknown wait-for", []string{"wait-for=indexed"}, false, 0, true},
		{"bad wait", []string{"wait-for=searchable, wait=soon"}, false, 0, true},
		{"negative wait", []string{"wait-for=searchable, wait=-1"}, false, 0, true},
	} {
		r := httptest.NewRequest(http.MethodPatch, "/", nil)
		for _, p := range tc.prefer {
			r.Header.Add("Prefer", p)
		}
		w, err := parseSearchableWait(r, limit)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: error %v, want error %v", tc.name, err, tc.wantErr)
			continue
		}
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Status != http.StatusBadRequest || e.Header != "Prefer" {
				t.Errorf("%s: error %#v, want a 400 with source.header Prefer", tc.name, err)
			}
			continue
		}
		if w.asked != tc.asked || tc.asked && w.bound != tc.bound {
			t.Errorf("%s: %+v, want asked %v bound %v", tc.name, w, tc.asked, tc.bound)
		}
	}
}

// runWorker runs the sync worker for the rest of the test.
func runWorker(t *testing.T, e *env) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = assetsync.RunWorkers(ctx, e.pool, e.index, e.api.log, assetsync.WorkerConfig{PollInterval: 50 * time.Millisecond}, 1)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// listIDs is the ids of tenant A's assets matching filter, as a search sees them now.
func listIDs(t *testing.T, e *env, filter string) []string {
	t.Helper()
	res := e.get("tenantA.read", tenantPath(tenantA)+v+"&limit=100&filter="+url.QueryEscape(filter)).must(t, http.StatusOK)
	got := ids(res.data(t))
	slices.Sort(got)
	return got
}

func TestPatchWaitsUntilSearchable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	runWorker(t, e)
	prefer := map[string]string{"Prefer": "wait-for=searchable, wait=20"}
	for i := range 3 { // a few rounds: each must see its own write at once
		label := "ryw" + string(rune('a'+i))
		id := testAssetID(2)
		res := e.do(req{method: http.MethodPatch, path: tenantPath(tenantA) + "/" + id + v, token: "tenantA.edit",
			body: patchBody(id, `{"labels":{"add":["`+label+`"]}}`), header: prefer}).must(t, http.StatusOK)
		if res.header.Get("Preference-Applied") != "wait-for=searchable" {
			t.Errorf("Preference-Applied = %q", res.header.Get("Preference-Applied"))
		}
		if got := listIDs(t, e, "labels=="+label); !slices.Equal(got, []string{id}) {
			t.Errorf("round %d: a search right after the write sees %v", i, got)
		}
		bulk := bulkBody(3, func(i int) string { return testAssetID([]int{1, 3, 5}[i]) }, `{"labels":{"add":["b`+label+`"]}}`)
		res = e.do(req{method: http.MethodPatch, path: tenantPath(tenantA) + v, token: "tenantA.edit", body: bulk, header: prefer}).
			must(t, http.StatusNoContent)
		if res.header.Get("Preference-Applied") != "wait-for=searchable" {
			t.Errorf("bulk Preference-Applied = %q", res.header.Get("Preference-Applied"))
		}
		if got := listIDs(t, e, "labels==b"+label); !slices.Equal(got, []string{testAssetID(1), testAssetID(3), testAssetID(5)}) {
			t.Errorf("round %d: a search right after the bulk write sees %v", i, got)
		}
	}
}

// TestPatchSearchableTimesOut has no worker: the change is committed but
// never searchable, so the answer is 202 after the bound.
func TestPatchSearchableTimesOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	prefer := map[string]string{"Prefer": "wait-for=searchable; wait=1"}
	id := testAssetID(2)
	start := time.Now()
	res := e.do(req{method: http.MethodPatch, path: tenantPath(tenantA) + "/" + id + v, token: "tenantA.edit",
		body: patchBody(id, `{"labels":{"add":["late"]}}`), header: prefer}).must(t, http.StatusAccepted)
	if el := time.Since(start); el < time.Second || el > 10*time.Second {
		t.Errorf("answered after %v, want about the 1 s bound", el)
	}
	if res.header.Get("Search-Visibility") != "pending" || res.header.Get("Preference-Applied") != "" ||
		res.header.Get("Content-Type") != mediaTypeJSONAPI || !strings.Contains(string(res.raw), `"late"`) {
		t.Errorf("202: headers %v body %s", res.header, res.raw)
	}
	// The server's maximum cuts a longer wait=N.
	capped, err := New(Config{Pool: e.pool, Index: e.index, Registerer: prometheus.NewRegistry(), SearchableWaitMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ce := *e
	ce.srv = httptest.NewServer(capped.Handler())
	t.Cleanup(ce.srv.Close)
	bulk := bulkBody(2, func(i int) string { return testAssetID(i + 1) }, `{"labels":{"add":["later"]}}`)
	start = time.Now()
	res = ce.do(req{method: http.MethodPatch, path: tenantPath(tenantA) + v, token: "tenantA.edit", body: bulk,
		header: map[string]string{"Prefer": "wait-for=searchable, wait=30"}}).must(t, http.StatusAccepted)
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("wait=30 on a server whose maximum is 1 s answered after %v", el)
	}
	if m, _ := res.doc["meta"].(map[string]any); res.header.Get("Search-Visibility") != "pending" || m["committed"] != true || m["searchable"] != false {
		t.Errorf("bulk 202: headers %v body %s", res.header, res.raw)
	}
	// A bad preference is a 400 and writes nothing.
	e.do(req{method: http.MethodPatch, path: tenantPath(tenantA) + "/" + id + v, token: "tenantA.edit",
		body: patchBody(id, `{"labels":{"add":["never"]}}`), header: map[string]string{"Prefer": "wait-for=searchable, wait=x"}}).
		wantError(t, http.StatusBadRequest, "", "")
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM assets WHERE 'never' = ANY(labels)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("a refused PATCH wrote %d assets (%v)", n, err)
	}
}

// queryLog records the SQL a pool sends.
type queryLog struct {
	mu  sync.Mutex
	sql []string
}

func (l *queryLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	l.sql = append(l.sql, d.SQL)
	l.mu.Unlock()
	return ctx
}

func (l *queryLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (l *queryLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.sql
	l.sql = nil
	return out
}

// TestPatchWithoutPreferDoesNotWait: a write that does not ask sends no
// query of the wait and is not held (no worker runs, so a wait would
// last its bound).
func TestPatchWithoutPreferDoesNotWait(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	cfg := e.pool.Config()
	log := &queryLog{}
	cfg.ConnConfig.Tracer = log
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s, err := New(Config{Pool: pool, Index: e.index, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	traced := *e
	traced.srv = httptest.NewServer(s.Handler())
	t.Cleanup(traced.srv.Close)
	id := testAssetID(2)
	isWait := func(sql string) bool {
		return strings.Contains(sql, "asset_outbox o") || strings.Contains(sql, "SELECT id::text, version FROM assets")
	}
	for _, tc := range []struct {
		name   string
		prefer string
		wait   bool
	}{{"not asked", "", false}, {"asked", "wait-for=searchable, wait=1", true}} {
		start := time.Now()
		traced.do(req{method: http.MethodPatch, path: tenantPath(tenantA) + "/" + id + v, token: "tenantA.edit",
			body: patchBody(id, `{"labels":{"add":["q`+tc.name[:1]+`"]}}`), header: map[string]string{"Prefer": tc.prefer}})
		traced.do(req{method: http.MethodPatch, path: tenantPath(tenantA) + v, token: "tenantA.edit",
			body: bulkBody(1, func(int) string { return id }, `{"labels":{"add":["r`+tc.name[:1]+`"]}}`), header: map[string]string{"Prefer": tc.prefer}})
		el := time.Since(start)
		if got := slices.ContainsFunc(log.take(), isWait); got != tc.wait {
			t.Errorf("%s: queries of the wait sent: %v, want %v", tc.name, got, tc.wait)
		}
		if !tc.wait && el > 2*time.Second {
			t.Errorf("%s: two writes took %v", tc.name, el)
		}
	}
}
