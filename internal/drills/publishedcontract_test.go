package drills

import (
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
