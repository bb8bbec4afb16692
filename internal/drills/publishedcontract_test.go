package drills

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPublishedOperations(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "contract.json")
	doc := `{"openapi":"3.0.3","paths":{
		"/orgs/{org_id}/inventory/assets":{"get":{},"patch":{},"parameters":[]},
		"/orgs/{org_id}/inventory/assets/{asset_id}/relationships/projects":{"get":{}}}}`
	if err := os.WriteFile(good, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	ops, err := publishedOperations(good)
	want := []string{"GET /orgs/{org_id}/inventory/assets", "GET /orgs/{org_id}/inventory/assets/{asset_id}/relationships/projects",
		"PATCH /orgs/{org_id}/inventory/assets"}
	if err != nil || !slices.Equal(ops, want) {
		t.Errorf("publishedOperations = %v, %v; want %v", ops, err, want)
	}
	notOpenAPI := filepath.Join(dir, "other.json")
	if err := os.WriteFile(notOpenAPI, []byte(`{"paths":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{filepath.Join(dir, "missing.json"), notOpenAPI} {
		if _, err := publishedOperations(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("publishedOperations(%s) = %v, want an error naming the file", bad, err)
		}
	}
}

// The isolation drill expects the contract's status per route: 403 for a
// hidden scope, except a search's results (404, no 403 documented), and
// 404 for another tenant's object in the caller's own scope.
func TestScopeRoutesWantTheDocumentedStatus(t *testing.T) {
	ids := objectIDs{asset: "a1", search: "s1", groupField: "g1", filter: "f1"}
	for _, r := range scopeRoutes("tenant", "t1", ids) {
		want := 403
		if strings.HasSuffix(r.path, "/results") {
			want = 404
		}
		if r.want != want {
			t.Errorf("%s: want %d, expects %d", r, want, r.want)
		}
	}
	for _, r := range objectRoutes("tenant", "t1", ids) {
		if r.want != 404 {
			t.Errorf("object route %s expects %d, want 404", r, r.want)
		}
	}
}

// Each departure applies to a document of the contract's shape; one that
// finds nothing to change is an error, so a renamed schema cannot silently
// drop it.
func TestWithDepartures(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json")
	doc := `{"openapi":"3.0.3","components":{"responses":{},"schemas":{"GroupValueMeta":{"properties":{
		"built_at":{"type":"string"},"last_seen_at":{"type":"string"},"risk_score":{"type":"integer"}}}}},
		"paths":{"/t":{"get":{"operationId":"getAssetSearchResultsTenant","responses":{"200":{}}},
		"post":{"operationId":"createAssetSearchTenant","responses":{"302":{}}}}}}`
	if err := os.WriteFile(src, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := withDepartures(src, dst); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Components struct {
			Responses map[string]any
			Schemas   struct {
				GroupValueMeta struct {
					Properties map[string]map[string]any
				}
			}
		}
		Paths map[string]map[string]struct {
			Responses map[string]any
		}
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for name, p := range out.Components.Schemas.GroupValueMeta.Properties {
		if p["nullable"] != true {
			t.Errorf("%s is not nullable", name)
		}
	}
	if out.Components.Responses["429"] == nil {
		t.Error("no 429 response")
	}
	for method, want := range map[string][]string{"get": {"200", "400", "401", "429"}, "post": {"302", "401", "403", "429"}} {
		got := slices.Sorted(maps.Keys(out.Paths["/t"][method].Responses))
		if !slices.Equal(got, want) {
			t.Errorf("%s responses = %v, want %v", method, got, want)
		}
	}
	if err := os.WriteFile(src, []byte(`{"openapi":"3.0.3","paths":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := withDepartures(src, dst); err == nil {
		t.Error("departures applied to a document without their schemas")
	}
}
