package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	id := testAssetID(1)
	body := patchBody(id, `{"labels":{"add":["m"]}}`)
	for _, tc := range []struct {
		name          string
		method, path  string
		token, header string // header overrides Authorization when set
		want          int
	}{
		{"no token", "GET", tenantPath(tenantA), "", "", 401},
		{"wrong scheme", "GET", tenantPath(tenantA), "", "Basic dXNlcjpwYXNz", 401},
		{"scheme without key", "GET", tenantPath(tenantA), "", "Token", 401},
		{"unknown token", "GET", tenantPath(tenantA), "", "Token ast_unknown", 401},
		{"bearer works", "GET", tenantPath(tenantA) + "/" + id, "", "bearer", 200},
		{"read-only token on PATCH", "PATCH", tenantPath(tenantA) + "/" + id, "tenantA.read", "", 403},
		{"read-only token on bulk PATCH", "PATCH", tenantPath(tenantA), "tenantA.read", "", 403},
		{"read-only group token on org PATCH", "PATCH", orgPath(orgA1) + "/" + id, "groupA.read", "", 403},
		{"token of another tenant", "GET", tenantPath(tenantA) + "/" + id, "tenantB.edit", "", 403},
		{"token of another tenant, PATCH", "PATCH", tenantPath(tenantA) + "/" + id, "tenantB.edit", "", 403},
		{"token of another tenant on its org", "GET", orgPath(orgA1) + "/" + id, "tenantB.edit", "", 403},
		{"group token on its org", "GET", orgPath(orgA1) + "/" + id, "groupA.read", "", 200},
		{"group edit token on its org", "PATCH", orgPath(orgA1) + "/" + id, "groupA.edit", "", 200},
		{"group token on another group", "GET", groupPath(groupA2) + "/" + testAssetID(3), "groupA.read", "", 403},
		{"org token on its group", "GET", groupPath(groupA) + "/" + id, "orgA1.read", "", 403},
		{"org token on its tenant", "GET", tenantPath(tenantA) + "/" + id, "orgA1.edit", "", 403},
		{"org token on a sibling org", "GET", orgPath(orgA2) + "/" + id, "orgA1.edit", "", 403},
		{"tenant token on its org", "GET", orgPath(orgA2) + "/" + id, "tenantA.read", "", 200},
		{"missing tenant", "GET", tenantPath(missing) + "/" + id, "tenantA.read", "", 403},
		{"missing org", "GET", orgPath(missing), "tenantA.read", "", 403},
		{"asset of another tenant in an own scope", "GET", tenantPath(tenantB) + "/" + id, "tenantB.edit", "", 404},
		{"malformed tenant id", "GET", tenantPath("nope"), "tenantA.read", "", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := req{method: tc.method, path: tc.path + v, token: tc.token}
			if tc.method == "PATCH" {
				r.body = body
				if tc.path == tenantPath(tenantA) {
					r.body = `{"data":[` + body[len(`{"data":`):len(body)-1] + `]}`
				}
			}
			switch tc.header {
			case "":
			case "bearer":
				r.header = map[string]string{"Authorization": "Bearer " + e.tokens["tenantA.read"]}
			default:
				r.header = map[string]string{"Authorization": tc.header}
			}
			res := e.do(r)
			if tc.want >= 400 {
				res.wantError(t, tc.want, "", "")
				if tc.want == 401 && res.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				return
			}
			res.must(t, tc.want)
		})
	}
}

func TestRevokedAndExpiredTokensGet401(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	ctx := context.Background()
	g := store.Grant{Kind: store.ScopeTenant, ScopeID: tenantA, Permission: "tenant.read"}
	path := tenantPath(tenantA) + "/" + testAssetID(1) + v
	revoked, err := store.CreateToken(ctx, e.pool, "revoked", []store.Grant{g})
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["revoked"] = revoked
	e.get("revoked", path).must(t, 200)
	tok, err := store.Authenticate(ctx, e.pool, revoked)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.RevokeToken(ctx, e.pool, tok.ID); err != nil {
		t.Fatal(err)
	}
	expired, err := store.CreateToken(ctx, e.pool, "expired", []store.Grant{g}, store.WithExpiry(time.Now().Add(-time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["expired"] = expired
	for name, want := range map[string]string{"revoked": "revoked", "expired": "expired"} {
		res := e.get(name, path)
		res.wantError(t, 401, "", "")
		if !strings.Contains(string(res.raw), want) {
			t.Errorf("%s token: body %s does not say %q", name, res.raw, want)
		}
	}
}

// A scope the token cannot see answers each operation's documented status,
// the same as a scope that does not exist: 403, or 404 for a search's
// results (which document no 403).
func TestHiddenScopeAnswersTheDocumentedStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	id := testAssetID(1)
	loc := e.do(req{method: http.MethodPost, path: tenantPath(tenantA) + "/searches" + v, token: "tenantA.read"}).must(t, http.StatusFound).header.Get("Location")
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	search := path.Base(path.Dir(u.Path))
	cat := index.NewCatalogue()
	gf, _ := cat.GroupByName("registry")
	ff, _ := cat.FilterByName("registry")
	bulk := `{"data":[` + strings.TrimSuffix(strings.TrimPrefix(patchBody(id, `{"labels":["x"]}`), `{"data":`), "}") + `]}`
	routes := []struct {
		method, suffix, body string
		want                 int
	}{
		{"GET", "", "", 403},
		{"PATCH", "", bulk, 403},
		{"GET", "/" + id, "", 403},
		{"PATCH", "/" + id, patchBody(id, `{"labels":["x"]}`), 403},
		{"POST", "/searches", "", 403},
		{"GET", "/searches/" + search + "/results", "", 404},
		{"GET", "/groups", "", 403},
		{"GET", "/groups/" + gf.ID + "/values", "", 403},
		{"GET", "/filters", "", 403},
		{"GET", "/filters/" + ff.ID + "/values", "", 403},
	}
	for _, rt := range routes {
		t.Run(rt.method+rt.suffix, func(t *testing.T) {
			hidden := e.do(req{method: rt.method, path: tenantPath(tenantA) + rt.suffix + v, token: "tenantB.edit", body: rt.body})
			hidden.wantError(t, rt.want, "", "")
			missingScope := e.do(req{method: rt.method, path: tenantPath(missing) + rt.suffix + v, token: "tenantB.edit", body: rt.body})
			missingScope.wantError(t, rt.want, "", "")
			if a, b := errorDetail(t, hidden.raw), errorDetail(t, missingScope.raw); a != b {
				t.Errorf("a hidden scope says %q, a missing one %q", a, b)
			}
		})
	}
	// Nothing was written to the hidden tenant.
	a, err := store.GetAsset(context.Background(), e.pool, tenantA, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Version != 1 {
		t.Errorf("version = %d after refused updates, want 1", a.Version)
	}
}

func errorDetail(t *testing.T, raw []byte) string {
	t.Helper()
	var doc ErrorDocument
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.Errors) != 1 {
		t.Fatalf("not an error document: %s", raw)
	}
	return doc.Errors[0].Detail
}
