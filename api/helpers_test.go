package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
)

// The test hierarchy: tenant A has groups GA (orgs OA1, OA2) and GA2 (OA3);
// tenant B has group GB (org OB1).
const (
	tenantA = "11111111-1111-4111-8111-111111111111"
	tenantB = "22222222-2222-4222-8222-222222222222"
	groupA  = "33333333-3333-4333-8333-333333333333"
	groupA2 = "33333333-3333-4333-8333-333333333334"
	orgA1   = "44444444-4444-4444-8444-444444444441"
	orgA2   = "44444444-4444-4444-8444-444444444442"
	orgA3   = "44444444-4444-4444-8444-444444444443"
	groupB  = "55555555-5555-4555-8555-555555555555"
	orgB1   = "66666666-6666-4666-8666-666666666661"
	missing = "99999999-9999-4999-8999-999999999999"
)

func hierarchy() string {
	return `{"type":"tenants","id":"` + tenantA + `","attributes":{"name":"A"}}
{"type":"tenants","id":"` + tenantB + `","attributes":{"name":"B"}}
{"type":"groups","id":"` + groupA + `","attributes":{"tenant_id":"` + tenantA + `","name":"GA"}}
{"type":"groups","id":"` + groupA2 + `","attributes":{"tenant_id":"` + tenantA + `","name":"GA2"}}
{"type":"groups","id":"` + groupB + `","attributes":{"tenant_id":"` + tenantB + `","name":"GB"}}
{"type":"orgs","id":"` + orgA1 + `","attributes":{"group_id":"` + groupA + `","name":"OA1"}}
{"type":"orgs","id":"` + orgA2 + `","attributes":{"group_id":"` + groupA + `","name":"OA2"}}
{"type":"orgs","id":"` + orgA3 + `","attributes":{"group_id":"` + groupA2 + `","name":"OA3"}}
{"type":"orgs","id":"` + orgB1 + `","attributes":{"group_id":"` + groupB + `","name":"OB1"}}
`
}

// assetID returns the id of the n-th test asset.
func testAssetID(n int) string { return fmt.Sprintf("aaaaaaaa-0000-4000-8000-%012d", n) }

// assetLine is one container image of the import format.
func assetLine(id, tenant string, orgs []string, attrs map[string]any) string {
	a := map[string]any{"tenant_id": tenant, "org_ids": orgs}
	for k, v := range attrs {
		a[k] = v
	}
	b, err := json.Marshal(map[string]any{"type": "container_images", "id": id, "attributes": a})
	if err != nil {
		panic(err)
	}
	return string(b) + "\n"
}

// env is a server over a fresh database and index of the test's own.
type env struct {
	t      *testing.T
	pool   *pgxpool.Pool
	index  *index.Client
	api    *Server
	srv    *httptest.Server
	reg    *prometheus.Registry
	tokens map[string]string
}

// newEnv starts a server with the hierarchy, the given NDJSON assets
// (indexed) and tokens:
//
//	tenantA.read/edit, groupA.read/edit, orgA1.read/edit, tenantB.edit.
func newEnv(t *testing.T, assets string) *env {
	t.Helper()
	pool := testenv.Postgres(t)
	es, prefix := testenv.Elasticsearch(t)
	ic := index.New(es, prefix)
	ctx := context.Background()
	if err := ic.EnsureIndex(ctx); err != nil {
		t.Fatalf("creating index: %v", err)
	}
	if _, err := store.Import(ctx, pool, store.NewNDJSONReader(strings.NewReader(hierarchy()+assets))); err != nil {
		t.Fatalf("importing: %v", err)
	}
	e := &env{t: t, pool: pool, index: ic, reg: prometheus.NewRegistry(), tokens: map[string]string{}}
	e.api = e.newServer(ic)
	e.srv = httptest.NewServer(e.api.Handler())
	t.Cleanup(e.srv.Close)
	for name, grant := range map[string]string{
		"tenantA.read": "tenant:" + tenantA + ":tenant.read", "tenantA.edit": "tenant:" + tenantA + ":tenant.edit",
		"groupA.read": "group:" + groupA + ":group.read", "groupA.edit": "group:" + groupA + ":group.edit",
		"orgA1.read": "org:" + orgA1 + ":org.read", "orgA1.edit": "org:" + orgA1 + ":org.edit",
		"tenantB.edit": "tenant:" + tenantB + ":tenant.edit",
	} {
		g, err := store.ParseGrant(grant)
		if err != nil {
			t.Fatal(err)
		}
		secret, err := store.CreateToken(ctx, pool, name, []store.Grant{g})
		if err != nil {
			t.Fatalf("creating token: %v", err)
		}
		e.tokens[name] = secret
	}
	e.reindexAll()
	return e
}

func (e *env) newServer(ic *index.Client) *Server {
	e.t.Helper()
	level := slog.LevelError
	if os.Getenv("API_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	s, err := New(Config{
		Pool: e.pool, Index: ic, Registerer: e.reg,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	return s
}

// reindexAll writes every asset to the index and refreshes it: what the
// sync worker does, done synchronously.
func (e *env) reindexAll() {
	e.t.Helper()
	ctx := context.Background()
	rows, err := e.pool.Query(ctx, `SELECT id::text FROM assets`)
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	e.reindex(ids...)
}

// reindex writes the given assets to the index and refreshes it.
func (e *env) reindex(ids ...string) {
	e.t.Helper()
	ctx := context.Background()
	if len(ids) > 0 {
		assets, err := store.AssetsByID(ctx, e.pool, ids)
		if err != nil {
			e.t.Fatal(err)
		}
		targets, err := e.index.AliasIndexes(ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		items := make([]index.WriteItem, len(assets))
		for i, a := range assets {
			d := index.Project(a)
			items[i] = index.WriteItem{ID: a.ID, Version: a.Version, Doc: &d}
		}
		res, err := e.index.Write(ctx, targets, items)
		if err != nil {
			e.t.Fatalf("indexing: %v", err)
		}
		for _, r := range res {
			if r.Err != nil {
				e.t.Fatalf("indexing %s: %v", r.ID, r.Err)
			}
		}
	}
	if err := e.index.Refresh(ctx); err != nil {
		e.t.Fatal(err)
	}
}

// response is an HTTP answer with its body decoded as JSON (when it is).
type response struct {
	status int
	header http.Header
	raw    []byte
	doc    map[string]any
}

// req is one request for env.do.
type req struct {
	method, path, token, body string
	header                    map[string]string
}

func (e *env) do(r req) response {
	e.t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	target := e.srv.URL + r.path
	if strings.HasPrefix(r.path, "http") { // a link the server made
		target = r.path
	}
	hr, err := http.NewRequest(r.method, target, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Token "+e.tokens[r.token])
	}
	if r.body != "" {
		hr.Header.Set("Content-Type", mediaTypeJSONAPI)
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	out := response{status: res.StatusCode, header: res.Header}
	out.raw, _ = io.ReadAll(res.Body)
	if len(out.raw) > 0 {
		_ = json.Unmarshal(out.raw, &out.doc)
	}
	return out
}

// get is a GET with a token.
func (e *env) get(token, path string) response {
	e.t.Helper()
	return e.do(req{path: path, token: token})
}

func (e *env) patch(token, path, body string) response {
	e.t.Helper()
	return e.do(req{method: http.MethodPatch, path: path, token: token, body: body})
}

// must checks the status, printing the body when it differs.
func (r response) must(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.status, status, r.raw)
	}
	return r
}

// wantError checks a JSON:API error document: status, and the source
// member (pointer or parameter) when want is not empty.
func (r response) wantError(t *testing.T, status int, sourceKey, sourceValue string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.status, status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, mediaTypeJSONAPI) {
		t.Errorf("Content-Type = %q, want %s", ct, mediaTypeJSONAPI)
	}
	var doc ErrorDocument
	dec := json.NewDecoder(bytes.NewReader(r.raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not an error document (%v): %s", err, r.raw)
	}
	if doc.JSONAPI.Version != "1.0" || len(doc.Errors) != 1 {
		t.Fatalf("error document = %s", r.raw)
	}
	e := doc.Errors[0]
	if e.Status != fmt.Sprint(status) || e.Detail == "" || e.Title == "" {
		t.Errorf("error object = %+v", e)
	}
	if sourceKey == "" {
		return
	}
	got := ""
	if e.Source != nil {
		got = map[string]string{"pointer": e.Source.Pointer, "parameter": e.Source.Parameter}[sourceKey]
	}
	if got != sourceValue {
		t.Errorf("source.%s = %q, want %q (detail: %s)", sourceKey, got, sourceValue, e.Detail)
	}
}

// data returns the document's data as a list of resources.
func (r response) data(t *testing.T) []map[string]any {
	t.Helper()
	items, ok := r.doc["data"].([]any)
	if !ok {
		t.Fatalf("data is not a list: %s", r.raw)
	}
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i] = it.(map[string]any)
	}
	return out
}

func ids(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it["id"].(string)
	}
	return out
}

func attrs(item map[string]any) map[string]any {
	a, _ := item["attributes"].(map[string]any)
	return a
}

// link returns links[name], an absolute URL on the test server.
func (r response) link(name string) string {
	links, _ := r.doc["links"].(map[string]any)
	s, _ := links[name].(string)
	return s
}

func tenantPath(id string) string { return "/rest/tenants/" + id + "/inventory/assets" }
func groupPath(id string) string  { return "/rest/groups/" + id + "/inventory/assets" }
func orgPath(id string) string    { return "/rest/orgs/" + id + "/inventory/assets" }

const v = "?version=2024-10-15"
