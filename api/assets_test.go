package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/openinventory/assets/store"
)

// fewAssets: 1 in OA1 (and OA2), 2 in OA2, 3 in OA3 (group GA2), 4 in OB1
// (tenant B), 5 in no org.
func fewAssets() string {
	return assetLine(testAssetID(1), tenantA, []string{orgA1, orgA2}, map[string]any{
		"registry": "docker.io", "repository": "library/nginx", "labels": []string{"prod"}, "tags": map[string]string{"env": "prod"},
		"class": map[string]any{"display_name": "B"}, "created_at": "2024-01-01T00:00:00Z",
	}) +
		assetLine(testAssetID(2), tenantA, []string{orgA2}, map[string]any{"registry": "gcr.io", "repository": "acme/api"}) +
		assetLine(testAssetID(3), tenantA, []string{orgA3}, map[string]any{"registry": "quay.io", "repository": "acme/worker"}) +
		assetLine(testAssetID(4), tenantB, []string{orgB1}, map[string]any{"registry": "docker.io", "repository": "library/redis"}) +
		assetLine(testAssetID(5), tenantA, nil, map[string]any{"registry": "ghcr.io", "repository": "acme/lonely"})
}

func TestGetAssetEveryScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	id := testAssetID(1)
	for _, tc := range []struct{ token, path string }{
		{"tenantA.read", tenantPath(tenantA)},
		{"groupA.read", groupPath(groupA)},
		{"orgA1.read", orgPath(orgA1)},
		{"tenantA.read", orgPath(orgA2)},
	} {
		res := e.get(tc.token, tc.path+"/"+id+v).must(t, http.StatusOK)
		if ct := res.header.Get("Content-Type"); ct != mediaTypeJSONAPI {
			t.Errorf("Content-Type = %q", ct)
		}
		data := res.doc["data"].(map[string]any)
		a := attrs(data)
		if data["type"] != "container_images" || data["id"] != id || a["registry"] != "docker.io" ||
			a["name"] != "docker.io/library/nginx" || a["class"].(map[string]any)["display_name"] != "B" {
			t.Errorf("%s: data = %v", tc.path, data)
		}
		if self := data["links"].(map[string]any)["self"]; self != e.srv.URL+tc.path+"/"+id+v {
			t.Errorf("self = %v", self)
		}
		for _, h := range []string{"snyk-request-id", "snyk-version-requested", "snyk-version-served"} {
			if res.header.Get(h) == "" {
				t.Errorf("%s missing", h)
			}
		}
	}
	// An asset outside the scope is a 404 at every level.
	for _, path := range []string{
		orgPath(orgA1) + "/" + testAssetID(2), // in OA2 only
		groupPath(groupA) + "/" + testAssetID(3),
		tenantPath(tenantA) + "/" + testAssetID(4),
		tenantPath(tenantA) + "/" + missing,
	} {
		e.get("tenantA.read", path+v).wantError(t, http.StatusNotFound, "", "")
	}
	e.get("tenantA.read", tenantPath(tenantA)+"/not-a-uuid"+v).wantError(t, http.StatusBadRequest, "parameter", "asset_id")
}

func TestSparseFieldsets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	res := e.get("tenantA.read", tenantPath(tenantA)+"/"+testAssetID(1)+v+"&fields[container_images]=registry,labels").must(t, http.StatusOK)
	a := attrs(res.doc["data"].(map[string]any))
	if len(a) != 2 || a["registry"] != "docker.io" || a["labels"] == nil {
		t.Errorf("attributes = %v", a)
	}
	e.get("tenantA.read", tenantPath(tenantA)+"/"+testAssetID(1)+v+"&fields[container_images]=colour").
		wantError(t, http.StatusBadRequest, "parameter", "fields[container_images]")
	e.get("tenantA.read", tenantPath(tenantA)+"/"+testAssetID(1)+v+"&fields[widgets]=a").
		wantError(t, http.StatusBadRequest, "parameter", "fields[widgets]")
}

func patchBody(id, attributes string) string {
	return `{"data":{"type":"container_images","id":"` + id + `","attributes":` + attributes + `}}`
}

func TestPatchAssetEveryScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	id := testAssetID(1)
	for i, tc := range []struct{ token, path string }{
		{"tenantA.edit", tenantPath(tenantA)},
		{"groupA.edit", groupPath(groupA)},
		{"orgA1.edit", orgPath(orgA1)},
	} {
		label := fmt.Sprintf("l%d", i)
		res := e.patch(tc.token, tc.path+"/"+id+v, patchBody(id,
			`{"labels":{"add":["`+label+`"]},"tags":{"add":{"k`+label+`":"v"},"remove":["env"]},"class":{"rank":1,"locked":true}}`)).must(t, http.StatusOK)
		if res.doc["jsonapi"].(map[string]any)["version"] != "1.0" {
			t.Errorf("jsonapi = %v", res.doc["jsonapi"])
		}
		a := attrs(res.doc["data"].(map[string]any))
		labels := a["labels"].([]any)
		if !slices.Contains(labels, any(label)) || !slices.Contains(labels, any("prod")) {
			t.Errorf("labels = %v", labels)
		}
		tags := a["tags"].(map[string]any)
		if tags["k"+label] != "v" || tags["env"] != nil {
			t.Errorf("tags = %v", tags)
		}
		if c := a["class"].(map[string]any); c["display_name"] != "A" || c["rank"] != 1.0 || c["locked"] != true {
			t.Errorf("class = %v", c)
		}
	}
	// Replacement forms, and class by display name.
	res := e.patch("tenantA.edit", tenantPath(tenantA)+"/"+id+v, patchBody(id, `{"labels":["x","y"],"tags":{"team":"core"},"class":{"display_name":"D"}}`)).must(t, http.StatusOK)
	a := attrs(res.doc["data"].(map[string]any))
	if fmt.Sprint(a["labels"]) != "[x y]" || fmt.Sprint(a["tags"]) != "map[team:core]" || a["class"].(map[string]any)["rank"] != 4.0 {
		t.Errorf("after replace: %v", a)
	}
	// The change is in PostgreSQL, with a new version.
	got, err := store.GetAsset(context.Background(), e.pool, tenantA, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.ClassRank != 4 || len(got.Labels) != 2 || got.Version < 5 {
		t.Errorf("stored = %+v", got)
	}
	// Clearing with empty replacements.
	res = e.patch("tenantA.edit", tenantPath(tenantA)+"/"+id+v, patchBody(id, `{"labels":[],"tags":{}}`)).must(t, http.StatusOK)
	a = attrs(res.doc["data"].(map[string]any))
	if len(a["labels"].([]any)) != 0 || len(a["tags"].(map[string]any)) != 0 {
		t.Errorf("after clear: %v", a)
	}
	// Outside the scope: 404, and nothing changes.
	e.patch("orgA1.edit", orgPath(orgA1)+"/"+testAssetID(2)+v, patchBody(testAssetID(2), `{"labels":["x"]}`)).wantError(t, http.StatusNotFound, "", "")
}

func TestPatchBadInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	id := testAssetID(1)
	path := tenantPath(tenantA) + "/" + id + v
	long := strings.Repeat("a", 41)
	for _, tc := range []struct {
		name, body string
		status     int
		pointer    string
	}{
		{"malformed", `{"data":`, 400, ""},
		{"not an object", `[]`, 400, ""},
		{"trailing data", patchBody(id, `{"labels":["a"]}`) + `{}`, 400, ""},
		{"no data", `{}`, 400, "/data"},
		{"unknown top-level", `{"data":{},"meta":{}}`, 400, "/meta"},
		{"wrong type", `{"data":{"type":"widgets","id":"` + id + `","attributes":{"labels":["a"]}}}`, 400, "/data/type"},
		{"missing type", `{"data":{"id":"` + id + `","attributes":{"labels":["a"]}}}`, 400, "/data/type"},
		{"bad id", `{"data":{"type":"container_images","id":"nope","attributes":{"labels":["a"]}}}`, 400, "/data/id"},
		{"id mismatch", patchBody(testAssetID(2), `{"labels":["a"]}`), 400, "/data/id"},
		{"no attributes", `{"data":{"type":"container_images","id":"` + id + `"}}`, 400, "/data/attributes"},
		{"empty update", patchBody(id, `{}`), 400, "/data/attributes"},
		{"unknown attribute", patchBody(id, `{"registry":"x"}`), 400, "/data/attributes/registry"},
		{"bad label", patchBody(id, `{"labels":{"add":["ok","has space"]}}`), 400, "/data/attributes/labels/add/1"},
		{"long label", patchBody(id, `{"labels":["`+long+`"]}`), 400, "/data/attributes/labels/0"},
		{"label added and removed", patchBody(id, `{"labels":{"add":["a","b"],"remove":["c","b"]}}`), 400, "/data/attributes/labels/remove/1"},
		{"empty labels update", patchBody(id, `{"labels":{}}`), 400, "/data/attributes/labels"},
		{"unknown labels member", patchBody(id, `{"labels":{"put":["a"]}}`), 400, "/data/attributes/labels/put"},
		{"labels not a list", patchBody(id, `{"labels":"a"}`), 400, "/data/attributes/labels"},
		{"51 labels", patchBody(id, `{"labels":{"add":[`+strings.Repeat(`"a",`, 50)+`"a"]}}`), 400, "/data/attributes/labels/add"},
		{"tag added and removed", patchBody(id, `{"tags":{"add":{"env":"x"},"remove":["env"]}}`), 400, "/data/attributes/tags/remove/0"},
		{"bad tag key", patchBody(id, `{"tags":{"add":{"bad key":"x"}}}`), 400, "/data/attributes/tags/add/bad key"},
		{"tag key with slash", patchBody(id, `{"tags":{"a/b":"x"}}`), 400, "/data/attributes/tags/a~1b"},
		{"empty tag value", patchBody(id, `{"tags":{"env":""}}`), 400, "/data/attributes/tags/env"},
		{"bad tag remove", patchBody(id, `{"tags":{"remove":["a b"]}}`), 400, "/data/attributes/tags/remove/0"},
		{"tags not an object", patchBody(id, `{"tags":["a"]}`), 400, "/data/attributes/tags"},
		{"bad class name", patchBody(id, `{"class":{"display_name":"E"}}`), 400, "/data/attributes/class/display_name"},
		{"bad class rank", patchBody(id, `{"class":{"rank":5}}`), 400, "/data/attributes/class/rank"},
		{"class disagrees", patchBody(id, `{"class":{"rank":1,"display_name":"B"}}`), 400, "/data/attributes/class"},
		{"class lock only", patchBody(id, `{"class":{"locked":true}}`), 400, "/data/attributes/class"},
		{"class lock not bool", patchBody(id, `{"class":{"rank":1,"locked":"yes"}}`), 400, "/data/attributes/class/locked"},
		{"unknown class member", patchBody(id, `{"class":{"rank":1,"colour":"red"}}`), 400, "/data/attributes/class/colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.patch("tenantA.edit", path, tc.body).wantError(t, tc.status, "pointer", tc.pointer)
		})
	}
	// None of them changed anything.
	a, err := store.GetAsset(context.Background(), e.pool, tenantA, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Version != 1 {
		t.Errorf("version = %d after rejected updates, want 1", a.Version)
	}

	t.Run("content type", func(t *testing.T) {
		e.do(req{method: http.MethodPatch, path: path, token: "tenantA.edit", body: patchBody(id, `{"labels":["a"]}`),
			header: map[string]string{"Content-Type": "text/plain"}}).wantError(t, http.StatusUnsupportedMediaType, "", "")
		e.do(req{method: http.MethodPatch, path: path, token: "tenantA.edit", body: patchBody(id, `{"labels":["a"]}`),
			header: map[string]string{"Content-Type": "application/json; charset=utf-8"}}).must(t, http.StatusOK)
		// A body without a Content-Type is still of an unknown type.
		e.do(req{method: http.MethodPatch, path: path, token: "tenantA.edit", body: patchBody(id, `{"labels":["a"]}`),
			header: map[string]string{"Content-Type": ""}}).wantError(t, http.StatusUnsupportedMediaType, "", "")
	})
	t.Run("no body", func(t *testing.T) {
		// The contract documents 400, not 415, for a PATCH without a body.
		e.do(req{method: http.MethodPatch, path: path, token: "tenantA.edit"}).wantError(t, http.StatusBadRequest, "pointer", "/data")
		e.do(req{method: http.MethodPatch, path: tenantPath(tenantA) + v, token: "tenantA.edit"}).wantError(t, http.StatusBadRequest, "pointer", "/data")
	})
	t.Run("adds past the label limit", func(t *testing.T) {
		var labels []string
		for i := 0; i < 50; i++ {
			labels = append(labels, fmt.Sprintf(`"l%02d"`, i))
		}
		e.patch("tenantA.edit", path, patchBody(id, `{"labels":[`+strings.Join(labels, ",")+`]}`)).must(t, http.StatusOK)
		e.patch("tenantA.edit", path, patchBody(id, `{"labels":{"add":["one-more"]}}`)).
			wantError(t, http.StatusBadRequest, "pointer", "/data/attributes/labels")
		bulk := `{"data":[` + strings.TrimPrefix(strings.TrimSuffix(patchBody(id, `{"labels":{"add":["one-more"]}}`), "}"), `{"data":`) + `]}`
		e.patch("tenantA.edit", tenantPath(tenantA)+v, bulk).wantError(t, http.StatusBadRequest, "pointer", "/data/0/attributes/labels")
	})
	t.Run("body over 1 MiB", func(t *testing.T) {
		big := patchBody(id, `{"labels":["a"],"x":"`+strings.Repeat("x", 1<<20)+`"}`)
		e.patch("tenantA.edit", path, big).wantError(t, http.StatusRequestEntityTooLarge, "", "")
	})
}

func bulkBody(n int, id func(i int) string, attributes string) string {
	var b strings.Builder
	b.WriteString(`{"data":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"type":"container_images","id":"` + id(i) + `","attributes":` + attributes + `}`)
	}
	b.WriteString(`]}`)
	return b.String()
}

func TestBulkPatch(t *testing.T) {
	t.Parallel()
	var lines strings.Builder
	for i := range 100 {
		lines.WriteString(assetLine(testAssetID(100+i), tenantA, []string{orgA1}, nil))
	}
	e := newEnv(t, fewAssets()+lines.String())
	path := tenantPath(tenantA) + v
	id := func(i int) string { return testAssetID(100 + i) }

	res := e.patch("tenantA.edit", path, bulkBody(100, id, `{"labels":{"add":["bulk"]},"tags":{"add":{"wave":"1"}}}`))
	res.must(t, http.StatusNoContent)
	if len(res.raw) != 0 {
		t.Errorf("204 with a body: %s", res.raw)
	}
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM assets WHERE 'bulk' = ANY (labels) AND tags->>'wave' = '1'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 100 {
		t.Fatalf("%d assets updated, want 100", n)
	}

	// One unknown id among 100: 404 naming it, and nothing changes.
	bad := func(i int) string {
		if i == 57 {
			return missing
		}
		return id(i)
	}
	e.patch("tenantA.edit", path, bulkBody(100, bad, `{"labels":{"add":["second"]}}`)).wantError(t, http.StatusNotFound, "pointer", "/data/57/id")
	// An asset of another org in an org-scoped bulk is unknown there too.
	e.patch("orgA1.edit", orgPath(orgA1)+v, bulkBody(2, func(i int) string { return []string{id(0), testAssetID(3)}[i] }, `{"labels":{"add":["second"]}}`)).
		wantError(t, http.StatusNotFound, "pointer", "/data/1/id")
	// An invalid member anywhere: 400 naming it.
	e.patch("tenantA.edit", path, strings.Replace(bulkBody(3, id, `{"labels":{"add":["second"]}}`), `"id":"`+id(2)+`"`, `"id":"x"`, 1)).
		wantError(t, http.StatusBadRequest, "pointer", "/data/2/id")
	e.patch("tenantA.edit", path, bulkBody(2, func(int) string { return id(0) }, `{"labels":["a"]}`)).wantError(t, http.StatusBadRequest, "pointer", "/data/1/id")
	e.patch("tenantA.edit", path, bulkBody(2, id, `{}`)).wantError(t, http.StatusBadRequest, "pointer", "/data/0/attributes")
	e.patch("tenantA.edit", path, bulkBody(101, func(i int) string { return testAssetID(1000 + i) }, `{"labels":["a"]}`)).wantError(t, http.StatusBadRequest, "pointer", "/data")
	e.patch("tenantA.edit", path, `{"data":[]}`).wantError(t, http.StatusBadRequest, "pointer", "/data")
	e.patch("tenantA.edit", path, `{"data":{}}`).wantError(t, http.StatusBadRequest, "pointer", "/data")
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM assets WHERE 'second' = ANY (labels)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d assets changed by failed bulk updates", n)
	}
}

func TestConcurrentPatchesLoseNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	id := testAssetID(2)
	path := tenantPath(tenantA) + "/" + id + v
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := e.patch("tenantA.edit", path, patchBody(id, fmt.Sprintf(`{"labels":{"add":["c%02d"]},"tags":{"add":{"t%02d":"v"}}}`, i, i)))
			if res.status != http.StatusOK {
				errs <- fmt.Sprintf("status %d: %s", res.status, res.raw)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	a, err := store.GetAsset(context.Background(), e.pool, tenantA, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Labels) != n || len(a.Tags) != n {
		t.Errorf("%d labels and %d tags after %d concurrent updates, want %d each", len(a.Labels), len(a.Tags), n, n)
	}
}
