package api

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openinventory/assets/index"
)

// serverWith starts another server over e's database and index with the
// config changed by edit, on its own registry.
func (e *env) serverWith(edit func(*Config)) *httptest.Server {
	e.t.Helper()
	cfg := Config{Pool: e.pool, Index: e.index, Registerer: prometheus.NewRegistry()}
	edit(&cfg)
	s, err := New(cfg)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(s.Handler())
	e.t.Cleanup(srv.Close)
	return srv
}

// seriesCount is the number of series in a registry.
func seriesCount(t *testing.T, g prometheus.Gatherer) int {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range families {
		n += len(f.GetMetric())
	}
	return n
}

// TestHardening checks the answers a hostile or careless client meets, over
// one environment: closed metric labels, headers, gzip, and parameters the
// operation does not know.
func TestHardening(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())

	t.Run("metric labels are closed sets", func(t *testing.T) {
		h := e.api.Handler()
		junk := func(i int) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(fmt.Sprintf("JUNK%d", i), fmt.Sprintf("/junk/%d?x=%d", i, i), nil))
		}
		junk(-1) // the first one may add the "other"/"unmatched" series
		before := seriesCount(t, e.reg)
		for i := range 1000 {
			junk(i)
		}
		if after := seriesCount(t, e.reg); after != before {
			t.Errorf("1000 junk requests changed the series from %d to %d", before, after)
		}
		if !strings.Contains(gatherText(t, e.reg), `method="other",route="unmatched"`) {
			t.Error("junk requests are not counted as other/unmatched")
		}
	})

	t.Run("headers", func(t *testing.T) {
		for _, path := range []string{tenantPath(tenantA) + "/" + testAssetID(1) + v, tenantPath(tenantA) + v, "/rest/openapi.json", "/rest/nothing"} {
			res := e.get("tenantA.read", path)
			if got := res.header.Get("X-Powered-By"); got != "" {
				t.Errorf("%s: X-Powered-By = %q", path, got)
			}
			if res.header.Get("X-Content-Type-Options") != "nosniff" || res.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: nosniff/no-store missing: %v", path, res.header)
			}
		}
	})

	t.Run("gzip only when asked", func(t *testing.T) {
		plain := e.do(req{path: "/rest/openapi.json", header: map[string]string{"Accept-Encoding": "identity"}}).must(t, http.StatusOK)
		if plain.header.Get("Content-Encoding") != "" || len(plain.raw) < 100<<10 {
			t.Fatalf("without gzip: encoding %q, %d bytes", plain.header.Get("Content-Encoding"), len(plain.raw))
		}
		for _, path := range []string{"/rest/openapi.json", tenantPath(tenantA) + v} {
			res := e.do(req{path: path, token: "tenantA.read", header: map[string]string{"Accept-Encoding": "gzip"}}).must(t, http.StatusOK)
			if res.header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("%s: Content-Encoding = %q", path, res.header.Get("Content-Encoding"))
			}
			zr, err := gzip.NewReader(bytes.NewReader(res.raw))
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(zr)
			if err != nil || !bytes.HasPrefix(body, []byte("{")) {
				t.Errorf("%s: gunzipped body (%v): %.60s", path, err, body)
			}
		}
		if body := e.do(req{path: "/rest/openapi.json", header: map[string]string{"Accept-Encoding": "gzip"}}).raw; len(body) >= len(plain.raw)/3 {
			t.Errorf("gzip saves little: %d of %d bytes", len(body), len(plain.raw))
		}
	})

	t.Run("unknown parameters", func(t *testing.T) {
		cat := index.NewCatalogue()
		regFilter, _ := cat.FilterByName("registry")
		group := mustGroupID(t, "registry")
		search := e.do(req{method: http.MethodPost, path: tenantPath(tenantA) + "/searches" + v, token: "tenantA.read"}).must(t, http.StatusFound).header.Get("Location")
		asset := tenantPath(tenantA) + "/" + testAssetID(1)
		for _, tc := range []struct{ method, path, good string }{
			{http.MethodGet, tenantPath(tenantA) + v, "&filter=registry==docker.io&fields[container_images]=name&limit=10"},
			{http.MethodGet, groupPath(groupA) + v, "&sort=-created_at"},
			{http.MethodGet, search, "&fields[container_images]=name"},
			{http.MethodGet, tenantPath(tenantA) + "/groups" + v, "&asset_types=container_images"},
			{http.MethodGet, tenantPath(tenantA) + "/groups/" + group + "/values" + v, "&aggregate[risk_score]=max&meta_fields=count"},
			{http.MethodGet, orgPath(orgA1) + "/filters/" + regFilter.ID + "/values" + v, "&q=io"},
			{http.MethodGet, asset + v, "&fields[container_images]=name"},
			{http.MethodPatch, asset + v, ""},
		} {
			token := "tenantA.read"
			if strings.HasPrefix(tc.path, orgPath(orgA1)) {
				token = "orgA1.read"
			}
			body := ""
			if tc.method == http.MethodPatch {
				token, body = "tenantA.edit", `{"data":{"type":"container_images","id":"`+testAssetID(1)+`","attributes":{"labels":{"add":["x"]}}}}`
			}
			e.do(req{method: tc.method, path: tc.path + tc.good, token: token, body: body}).must(t, map[string]int{http.MethodGet: 200, http.MethodPatch: 200}[tc.method])
			e.do(req{method: tc.method, path: tc.path + tc.good + "&fitler=registry==gcr.io", token: token, body: body}).
				wantError(t, http.StatusBadRequest, "parameter", "fitler")
		}
		// A family the operation declares is the handler's to judge.
		e.get("tenantA.read", tenantPath(tenantA)+v+"&fields[container_image]=name").wantError(t, http.StatusBadRequest, "parameter", "fields[container_image]")
		e.get("tenantA.read", tenantPath(tenantA)+"/groups/"+group+"/values"+v+"&aggregate[colour]=max").wantError(t, http.StatusBadRequest, "parameter", "aggregate[colour]")
		// One the operation does not declare is unknown.
		e.get("tenantA.read", tenantPath(tenantA)+"/groups"+v+"&fields[container_images]=name").wantError(t, http.StatusBadRequest, "parameter", "fields[container_images]")
	})

	t.Run("metrics on their own listener", func(t *testing.T) {
		srv := e.serverWith(func(c *Config) { c.NoMetricsRoute = true })
		res, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("/metrics with NoMetricsRoute = %d, want 404", res.StatusCode)
		}
	})
}

// gatherText is the registry in the text exposition format.
func gatherText(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s := &Server{gatherer: g, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}
