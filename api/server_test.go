package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOperationsEndpoints checks the OpenAPI document, health, metrics,
// unknown routes, Accept, request ids and panics over one environment; it is
// long because the checks share that setup.
func TestOperationsEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())

	t.Run("openapi", func(t *testing.T) {
		res := e.get("", "/rest/openapi.json").must(t, http.StatusOK)
		var doc struct {
			Paths      map[string]map[string]map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(res.raw, &doc); err != nil {
			t.Fatal(err)
		}
		ops := 0
		for _, item := range doc.Paths {
			ops += len(item)
		}
		if ops != 39 { // the contract's 36 and the export at three scopes
			t.Errorf("%d operations documented, want 39", ops)
		}
		op := doc.Paths["/rest/orgs/{org_id}/inventory/assets/{asset_id}"]["patch"]
		if op["operationId"] != "updateAssetOrg" {
			t.Errorf("operation = %v", op["operationId"])
		}
		responses := op["responses"].(map[string]any)
		for _, code := range []string{"200", "400", "401", "403", "404", "500"} {
			r, ok := responses[code].(map[string]any)
			if !ok {
				t.Errorf("no %s response", code)
				continue
			}
			content := r["content"].(map[string]any)
			if _, ok := content[mediaTypeJSONAPI]; !ok {
				t.Errorf("%s response is not %s: %v", code, mediaTypeJSONAPI, content)
			}
		}
		if _, ok := doc.Components.Schemas["ErrorDocument"]; !ok {
			t.Error("no ErrorDocument schema")
		}
		if _, ok := doc.Components.Schemas["HTTPError"]; ok {
			t.Error("fuego's HTTPError schema is still there")
		}
		if strings.Contains(string(res.raw), "problem+json") {
			t.Error("RFC 9457 responses remain")
		}
		if err := validateSpec(e.api.fuego.OpenAPI.Description()); err != nil {
			t.Errorf("the OpenAPI description is not valid: %v", err)
		}
		// The constraints TestOpenAPIDescription checks, in the served JSON.
		var served map[string]any
		if err := json.Unmarshal(res.raw, &served); err != nil {
			t.Fatal(err)
		}
		for path, want := range specConstraints {
			if got, _ := json.Marshal(at(served, path)); string(got) != want {
				t.Errorf("served %s = %s, want %s", path, got, want)
			}
		}
		for _, bad := range []string{`"nullable"`, `x-fuego-`, `"name":"Accept"`} {
			if strings.Contains(string(res.raw), bad) {
				t.Errorf("the served description has %s", bad)
			}
		}
		e.get("", "/rest/docs/").must(t, http.StatusOK)
	})

	t.Run("health", func(t *testing.T) {
		e.get("", "/healthz").must(t, http.StatusOK)
		res := e.get("", "/readyz").must(t, http.StatusOK)
		if res.doc["status"] != "ready" {
			t.Errorf("readyz = %s", res.raw)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		e.get("tenantA.read", tenantPath(tenantA)+"/"+testAssetID(1)+v).must(t, http.StatusOK)
		res := e.get("", "/metrics").must(t, http.StatusOK)
		body := string(res.raw)
		for _, want := range []string{
			`assets_http_requests_total{method="GET",route="/rest/tenants/{tenant_id}/inventory/assets/{asset_id}",status="200"} 1`,
			`assets_http_request_duration_seconds_bucket{method="GET",route="/rest/tenants/{tenant_id}/inventory/assets/{asset_id}"`,
			"assets_sync_backlog ", "assets_sync_lag_seconds ",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})

	t.Run("unknown route and method", func(t *testing.T) {
		e.get("tenantA.read", "/rest/nothing"+v).wantError(t, http.StatusNotFound, "", "")
		res := e.do(req{method: http.MethodDelete, path: tenantPath(tenantA) + "/" + testAssetID(1) + v, token: "tenantA.edit"})
		res.wantError(t, http.StatusMethodNotAllowed, "", "")
		if res.header.Get("Allow") != "GET, PATCH" {
			t.Errorf("Allow = %q", res.header.Get("Allow"))
		}
	})

	t.Run("accept", func(t *testing.T) {
		path := tenantPath(tenantA) + "/" + testAssetID(1) + v
		for accept, ct := range map[string]string{
			"application/vnd.api+json":                mediaTypeJSONAPI,
			"text/html , application/json;q=0.9":      mediaTypeJSON,
			"*/*":                                     mediaTypeJSONAPI,
			" application/vnd.api+json , text/plain ": mediaTypeJSONAPI,
		} {
			res := e.do(req{path: path, token: "tenantA.read", header: map[string]string{"Accept": accept}}).must(t, http.StatusOK)
			if got := res.header.Get("Content-Type"); got != ct {
				t.Errorf("Accept %q: Content-Type %q, want %q", accept, got, ct)
			}
		}
		e.do(req{path: path, token: "tenantA.read", header: map[string]string{"Accept": "text/html"}}).wantError(t, http.StatusNotAcceptable, "", "")
	})

	t.Run("request id", func(t *testing.T) {
		res := e.do(req{path: tenantPath(tenantA) + v, token: "tenantA.read", header: map[string]string{"snyk-request-id": "abc-123"}}).must(t, http.StatusOK)
		if res.header.Get("snyk-request-id") != "abc-123" {
			t.Errorf("request id = %q", res.header.Get("snyk-request-id"))
		}
		res = e.get("tenantA.read", tenantPath(tenantA)+v)
		if len(res.header.Get("snyk-request-id")) != 36 {
			t.Errorf("generated request id = %q", res.header.Get("snyk-request-id"))
		}
	})

	t.Run("panic", func(t *testing.T) {
		h := e.api.wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("secret internals") }))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tenantPath(tenantA)+v, nil))
		res := response{status: rec.Code, header: rec.Header(), raw: rec.Body.Bytes()}
		res.wantError(t, http.StatusInternalServerError, "", "")
		if strings.Contains(rec.Body.String(), "secret") {
			t.Errorf("500 leaks the panic: %s", rec.Body)
		}
	})
}
