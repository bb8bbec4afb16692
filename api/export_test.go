package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openinventory/assets/index"
)

// exportEnv is e with a server whose exports read pages of pageSize.
func exportEnv(t *testing.T, e *env, pageSize int, hook func(index.ExportPage)) (*env, *Server) {
	t.Helper()
	s, err := New(Config{Pool: e.pool, Index: e.index, Registerer: prometheus.NewRegistry(), ExportPageSize: pageSize})
	if err != nil {
		t.Fatal(err)
	}
	s.afterExportPage = hook
	ee := *e
	ee.srv = httptest.NewServer(s.Handler())
	t.Cleanup(ee.srv.Close)
	return &ee, s
}

// ndjsonLines decodes an NDJSON body.
func ndjsonLines(t *testing.T, raw []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestExportEqualsList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(30)+fewAssets())
	ee, _ := exportEnv(t, e, 7, nil)
	for _, tc := range []struct{ token, base, query string }{
		{"tenantA.read", tenantPath(tenantA), "&sort=-created_at,registry"},
		{"tenantA.read", tenantPath(tenantA), "&filter=registry%3D%3Ddocker.io&sort=repository"},
		{"groupA.read", groupPath(groupA), ""},
		{"orgA1.read", orgPath(orgA1), "&sort=registry&fields%5Bcontainer_images%5D=registry,labels,tags"},
	} {
		// The same server: links carry its address.
		list := ee.get(tc.token, tc.base+v+"&limit=100"+tc.query).must(t, http.StatusOK)
		want := list.data(t)
		if len(want) < 2 {
			t.Fatalf("%s: the list has %d assets", tc.base, len(want))
		}
		// NDJSON, by format and by Accept: each line a resource of the list.
		for _, r := range []req{
			{path: tc.base + "/export" + v + tc.query + "&format=ndjson", token: tc.token},
			{path: tc.base + "/export" + v + tc.query, token: tc.token, header: map[string]string{"Accept": "application/x-ndjson"}},
		} {
			res := ee.do(r).must(t, http.StatusOK)
			if ct := res.header.Get("Content-Type"); ct != mediaTypeNDJSON {
				t.Errorf("Content-Type = %q", ct)
			}
			got := ndjsonLines(t, res.raw)
			if !slices.Equal(ids(got), ids(want)) {
				t.Errorf("%s%s: export ids %v, list %v", tc.base, tc.query, ids(got), ids(want))
			}
			for i := range got {
				g, _ := json.Marshal(got[i])
				w, _ := json.Marshal(want[i])
				if !bytes.Equal(g, w) {
					t.Errorf("%s: line %d = %s, the list has %s", tc.base, i, g, w)
					break
				}
			}
		}
		// CSV: a header row, then the same ids in the same order.
		res := ee.do(req{path: tc.base + "/export" + v + tc.query, token: tc.token, header: map[string]string{"Accept": "text/csv"}}).must(t, http.StatusOK)
		if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, mediaTypeCSV) {
			t.Errorf("Content-Type = %q", ct)
		}
		rows, err := csv.NewReader(bytes.NewReader(res.raw)).ReadAll()
		if err != nil || len(rows) != len(want)+1 || rows[0][0] != "id" {
			t.Fatalf("csv: %d rows, %v; %s", len(rows), err, res.raw)
		}
		var csvIDs []string
		for _, row := range rows[1:] {
			csvIDs = append(csvIDs, row[0])
		}
		if !slices.Equal(csvIDs, ids(want)) {
			t.Errorf("%s: csv ids %v, list %v", tc.base, csvIDs, ids(want))
		}
	}
	// Labels and tags in CSV cells.
	res := ee.do(req{path: tenantPath(tenantA) + "/export" + v + "&format=csv&fields%5Bcontainer_images%5D=labels,tags,registry&filter=id%3D%3D" + testAssetID(1), token: "tenantA.read"}).must(t, http.StatusOK)
	if want := "id,labels,tags,registry\n" + testAssetID(1) + ",prod,env=prod,docker.io\n"; string(res.raw) != want {
		t.Errorf("csv = %q, want %q", res.raw, want)
	}
	// Bad input is a JSON:API error before anything streams.
	ee.do(req{path: tenantPath(tenantA) + "/export" + v + "&format=xml", token: "tenantA.read"}).wantError(t, http.StatusBadRequest, "parameter", "format")
	ee.do(req{path: tenantPath(tenantA) + "/export" + v + "&filter=nope%3D%3Dx", token: "tenantA.read"}).wantError(t, http.StatusBadRequest, "parameter", "filter")
	ee.do(req{path: tenantPath(tenantA) + "/export" + v, token: "tenantA.read", header: map[string]string{"Accept": "image/png"}}).wantError(t, http.StatusNotAcceptable, "", "")
	ee.do(req{path: tenantPath(tenantA) + "/export" + v}).wantError(t, http.StatusUnauthorized, "", "")
	// Another tenant's export is refused as its list is.
	other := ee.get("tenantA.read", tenantPath(tenantB)+v)
	if other.status < 400 {
		t.Fatalf("tenant A's token lists tenant B: %d", other.status)
	}
	ee.do(req{path: tenantPath(tenantB) + "/export" + v, token: "tenantA.read"}).wantError(t, other.status, "", "")
}

// TestExportErrorTrailer closes the export's point in time under it after
// the first page: the stream ends with the documented error line.
func TestExportErrorTrailer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(30))
	ee, _ := exportEnv(t, e, 10, func(p index.ExportPage) {
		if err := e.index.ClosePIT(context.Background(), p.PIT); err != nil {
			t.Errorf("closing the point in time: %v", err)
		}
	})
	res := ee.do(req{path: tenantPath(tenantA) + "/export" + v, token: "tenantA.read"}).must(t, http.StatusOK)
	lines := ndjsonLines(t, res.raw)
	if len(lines) != 11 {
		t.Fatalf("%d lines, want a page of 10 and the error: %s", len(lines), res.raw)
	}
	errs, _ := lines[10]["errors"].([]any)
	if len(errs) != 1 || !strings.Contains(errs[0].(map[string]any)["detail"].(string), "after 10 assets") {
		t.Errorf("last line = %v", lines[10])
	}
	res = ee.do(req{path: tenantPath(tenantA) + "/export" + v + "&format=csv", token: "tenantA.read"}).must(t, http.StatusOK)
	all := strings.Split(strings.TrimSuffix(string(res.raw), "\n"), "\n")
	if len(all) != 12 || !strings.HasPrefix(all[11], "#error: The export broke off after 10 assets") {
		t.Errorf("csv export: %d lines, last %q", len(all), all[len(all)-1])
	}
}

// countingWriter is a ResponseWriter that keeps nothing of the body.
type countingWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *countingWriter) Header() http.Header         { return w.h }
func (w *countingWriter) WriteHeader(code int)        { w.status = code }
func (w *countingWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }
func (w *countingWriter) Flush()                      {}

// TestExportAllocationsPerPage exports 120 and 600 assets in pages of 20:
// the allocations per page stay the same whatever the total, so memory
// does not grow with the export. Not parallel: it reads the process-wide
// allocation counters, which parallel tests would add to.
func TestExportAllocationsPerPage(t *testing.T) {
	e := newEnv(t, manyAssets(600))
	const pageSize = 20
	_, s := exportEnv(t, e, pageSize, nil)
	perPage := func(filter string, want int) (mallocs, bytes float64) {
		r := httptest.NewRequest(http.MethodGet, tenantPath(tenantA)+"/export"+v+filter, nil)
		r.Header.Set("Authorization", "Token "+e.tokens["tenantA.read"])
		w := &countingWriter{h: http.Header{}}
		s.Handler().ServeHTTP(w, r) // warm: connections, caches
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w = &countingWriter{h: http.Header{}}
		s.Handler().ServeHTTP(w, r)
		runtime.ReadMemStats(&after)
		if w.status != http.StatusOK || w.n == 0 {
			t.Fatalf("export %s: status %d, %d bytes", filter, w.status, w.n)
		}
		pages := float64(want / pageSize)
		return float64(after.Mallocs-before.Mallocs) / pages, float64(after.TotalAlloc-before.TotalAlloc) / pages
	}
	smallM, smallB := perPage("&filter=labels%3D%3Dl0", 120)
	largeM, largeB := perPage("", 600)
	t.Logf("per page: %.0f allocations, %.0f bytes (120 assets); %.0f, %.0f (600 assets)", smallM, smallB, largeM, largeB)
	if largeM > 1.25*smallM || largeB > 1.25*smallB {
		t.Errorf("allocations per page grow with the total: %.0f -> %.0f allocations, %.0f -> %.0f bytes", smallM, largeM, smallB, largeB)
	}
}

// TestExportMaxConcurrent: while one export streams on a server that
// streams one at a time, another is a 429 with Retry-After.
func TestExportMaxConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(30))
	entered, release := make(chan struct{}), make(chan struct{})
	s, err := New(Config{Pool: e.pool, Index: e.index, Registerer: prometheus.NewRegistry(), ExportPageSize: 10, ExportMaxConcurrent: 1})
	if err != nil {
		t.Fatal(err)
	}
	first := true
	s.afterExportPage = func(index.ExportPage) {
		if first {
			first = false
			close(entered)
			<-release
		}
	}
	ee := *e
	ee.srv = httptest.NewServer(s.Handler())
	t.Cleanup(ee.srv.Close)
	done := make(chan response)
	go func() { done <- ee.do(req{path: tenantPath(tenantA) + "/export" + v, token: "tenantA.read"}) }()
	<-entered
	res := ee.do(req{path: tenantPath(tenantA) + "/export" + v, token: "tenantA.read"})
	close(release)
	res.wantError(t, http.StatusTooManyRequests, "", "")
	if res.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if got := ndjsonLines(t, (<-done).raw); len(got) != 30 {
		t.Errorf("the first export has %d lines", len(got))
	}
	ee.do(req{path: tenantPath(tenantA) + "/export" + v, token: "tenantA.read"}).must(t, http.StatusOK)
}

// TestExportOutlivesWriteTimeout: an export that lasts longer than the
// server's write timeout still ends normally, because each page pushes
// the write deadline on.
func TestExportOutlivesWriteTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(30))
	s, err := New(Config{Pool: e.pool, Index: e.index, Registerer: prometheus.NewRegistry(), ExportPageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	s.afterExportPage = func(index.ExportPage) { time.Sleep(600 * time.Millisecond) }
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.Config.WriteTimeout = time.Second
	srv.Start()
	t.Cleanup(srv.Close)
	ee := *e
	ee.srv = srv
	res := ee.do(req{path: tenantPath(tenantA) + "/export" + v, token: "tenantA.read"}).must(t, http.StatusOK)
	if got := ndjsonLines(t, res.raw); len(got) != 30 {
		t.Errorf("%d lines after %s, want 30", len(got), 3*600*time.Millisecond)
	}
}
