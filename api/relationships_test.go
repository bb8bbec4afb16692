package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func relProjectID(i int) string { return fmt.Sprintf("cccccccc-0000-4000-8000-%012d", i) }
func relTargetID(i int) string  { return fmt.Sprintf("dddddddd-0000-4000-8000-%012d", i) }

// relProject is a test project with what the ordering needs.
type relProject struct {
	id, org, target, file string
	at                    time.Time
	issues                [4]int
}

// relFixture is asset 1 in orgs A1 and A2 with 12 targets (A1's even, A2's
// odd) and 25 projects (every fifth in A2); asset 2 is in org A3 only.
func relFixture() (string, []relProject) {
	var b strings.Builder
	b.WriteString(assetLine(testAssetID(1), tenantA, []string{orgA1, orgA2}, nil))
	b.WriteString(assetLine(testAssetID(2), tenantA, []string{orgA3}, nil))
	line := func(typ, id string, attrs map[string]any) {
		j, _ := json.Marshal(map[string]any{"type": typ, "id": id, "attributes": attrs})
		b.Write(append(j, '\n'))
	}
	for i := range 12 {
		org := []string{orgA1, orgA2}[i%2]
		line("targets", relTargetID(i), map[string]any{"asset_id": testAssetID(1), "org_id": org, "target_origin": "github"})
	}
	base := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	var ps []relProject
	for i := range 25 {
		p := relProject{id: relProjectID(i), org: orgA1, target: relTargetID(0), file: []string{"Dockerfile", "go.mod", "", "pom.xml"}[i%4],
			at: base.Add(time.Duration(i%7) * time.Hour), issues: [4]int{i % 3, i % 5, i % 2, i}}
		if i%5 == 4 {
			p.org, p.target = orgA2, relTargetID(1)
		}
		ps = append(ps, p)
		line("projects", p.id, map[string]any{"asset_id": testAssetID(1), "org_id": p.org, "target_id": p.target,
			"target_file": p.file, "snapshot_created_at": p.at, "project_type": "apk",
			"issues":                 map[string]int{"critical": p.issues[0], "high": p.issues[1], "medium": p.issues[2], "low": p.issues[3]},
			"base_image_remediation": map[string]any{"code": "UPGRADE", "base_image_name": "alpine:3.19"}})
	}
	return b.String(), ps
}

// walk follows the next (or prev) links from path, returning the ids of
// every page in order and checking each document's shape.
func walk(t *testing.T, e *env, token, path, link string) [][]string {
	t.Helper()
	var pages [][]string
	for path != "" && len(pages) < 20 {
		r := e.get(token, path).must(t, http.StatusOK)
		if v, _ := r.doc["jsonapi"].(map[string]any); v["version"] != "1.0" {
			t.Fatalf("no jsonapi member: %s", r.raw)
		}
		var ids []string
		for _, d := range r.data(t) {
			ids = append(ids, d["id"].(string))
		}
		pages = append(pages, ids)
		links, _ := r.doc["links"].(map[string]any)
		path, _ = links[link].(string)
	}
	return pages
}

func flat(pages [][]string) []string { return slices.Concat(pages...) }

func TestRelationshipProjectsPageSortAndFilter(t *testing.T) {
	t.Parallel()
	assets, ps := relFixture()
	e := newEnv(t, assets)
	base := "/rest/tenants/" + tenantA + "/inventory/assets/" + testAssetID(1) + "/relationships/projects"
	order := func(less func(a, b relProject) int) []string {
		s := slices.Clone(ps)
		slices.SortFunc(s, func(a, b relProject) int {
			if c := less(a, b); c != 0 {
				return c
			}
			return strings.Compare(a.id, b.id)
		})
		var ids []string
		for _, p := range s {
			ids = append(ids, p.id)
		}
		return ids
	}
	byTime := order(func(a, b relProject) int { return a.at.Compare(b.at) })
	pages := walk(t, e, "tenantA.read", base, "next")
	if len(pages) != 3 || len(pages[0]) != 10 || !slices.Equal(flat(pages), byTime) {
		t.Fatalf("default order pages %v, want %v", pages, byTime)
	}
	// Backwards from the last page gives the same pages.
	last := e.get("tenantA.read", base+"?starting_after="+url.QueryEscape(cursorOf(t, e, base, 1))).must(t, http.StatusOK)
	prev := last.doc["links"].(map[string]any)["prev"].(string)
	back := walk(t, e, "tenantA.read", prev, "prev")
	slices.Reverse(back)
	if !slices.Equal(flat(back), byTime[:20]) {
		t.Errorf("backwards %v, want %v", back, byTime[:20])
	}
	byIssues := order(func(a, b relProject) int { return slices.Compare(b.issues[:], a.issues[:]) })
	if got := flat(walk(t, e, "tenantA.read", base+"?sort=-issues&limit=10", "next")); !slices.Equal(got, byIssues) {
		t.Errorf("sort=-issues %v, want %v", got, byIssues)
	}
	// Descending reverses the whole key, the id tie-breaker included.
	byTimeDesc := slices.Clone(byTime)
	slices.Reverse(byTimeDesc)
	if got := flat(walk(t, e, "tenantA.read", base+"?sort=-snapshot_created_at", "next")); !slices.Equal(got, byTimeDesc) {
		t.Errorf("sort=-snapshot_created_at %v, want %v", got, byTimeDesc)
	}

	// Canonical: per target file the latest (ties to the greatest id), and
	// every project with no target file.
	canon := map[string]bool{}
	best := map[string]relProject{}
	for _, p := range ps {
		if p.file == "" {
			canon[p.id] = true
			continue
		}
		if b, ok := best[p.file]; !ok || p.at.After(b.at) || (p.at.Equal(b.at) && p.id > b.id) {
			best[p.file] = p
		}
	}
	for _, p := range best {
		canon[p.id] = true
	}
	only := flat(walk(t, e, "tenantA.read", base+"?canonical=only&limit=100", "next"))
	none := flat(walk(t, e, "tenantA.read", base+"?canonical=none&limit=100", "next"))
	if len(only) != len(canon) || len(only)+len(none) != len(ps) {
		t.Errorf("canonical only %d, none %d; want %d and %d", len(only), len(none), len(canon), len(ps)-len(canon))
	}
	for _, id := range only {
		if !canon[id] {
			t.Errorf("%s listed as canonical", id)
		}
	}
	with := e.get("tenantA.read", base+"?canonical=with&limit=100").must(t, http.StatusOK).data(t)
	plain := e.get("tenantA.read", base+"?limit=100").must(t, http.StatusOK).data(t)
	for i, d := range with {
		at := d["attributes"].(map[string]any)
		if at["is_canonical"] != canon[d["id"].(string)] || d["type"] != "project" {
			t.Errorf("canonical=with: %v", d)
		}
		if _, ok := plain[i]["attributes"].(map[string]any)["is_canonical"]; ok {
			t.Errorf("is_canonical without canonical: %v", plain[i])
		}
		if at["base_image_remediation"].(map[string]any)["code"] != "UPGRADE" {
			t.Errorf("base_image_remediation: %v", at)
		}
	}
	if got := e.get("tenantA.read", base+"?limit=100&target_id="+relTargetID(1)).must(t, http.StatusOK).data(t); len(got) != 5 {
		t.Errorf("target_id: %d projects, want 5", len(got))
	}
	// A cursor of one sort does not page another.
	c := cursorOf(t, e, base, 0)
	e.get("tenantA.read", base+"?sort=issues&starting_after="+url.QueryEscape(c)).wantError(t, http.StatusBadRequest, "parameter", "starting_after")
	for param, v := range map[string]string{"sort": "name", "canonical": "all", "target_id": "x", "limit": "5"} {
		e.get("tenantA.read", base+"?"+param+"="+v).wantError(t, http.StatusBadRequest, "parameter", param)
	}
}

// cursorOf is the next cursor of page n (0-based) of path.
func cursorOf(t *testing.T, e *env, path string, n int) string {
	t.Helper()
	for range n + 1 {
		r := e.get("tenantA.read", path).must(t, http.StatusOK)
		path = r.doc["links"].(map[string]any)["next"].(string)
	}
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("starting_after")
}

func TestRelationshipsVisibilityAnd404(t *testing.T) {
	t.Parallel()
	assets, ps := relFixture()
	e := newEnv(t, assets)
	rel := func(scope, id, asset, what string) string {
		return "/rest/" + scope + "/" + id + "/inventory/assets/" + asset + "/relationships/" + what + "?limit=100"
	}
	inA1 := 0
	for _, p := range ps {
		if p.org == orgA1 {
			inA1++
		}
	}
	// The org token sees only its org's projects and targets of the shared asset.
	if got := e.get("orgA1.read", rel("orgs", orgA1, testAssetID(1), "projects")).must(t, http.StatusOK).data(t); len(got) != inA1 {
		t.Errorf("org A1: %d projects, want %d", len(got), inA1)
	}
	for _, d := range e.get("orgA1.read", rel("orgs", orgA1, testAssetID(1), "projects")).data(t) {
		if d["attributes"].(map[string]any)["org_id"] != orgA1 {
			t.Errorf("org A1 sees %v", d)
		}
	}
	if got := e.get("groupA.read", rel("groups", groupA, testAssetID(1), "projects")).must(t, http.StatusOK).data(t); len(got) != len(ps) {
		t.Errorf("group A: %d projects, want %d", len(got), len(ps))
	}
	if got := e.get("orgA1.read", rel("orgs", orgA1, testAssetID(1), "targets")).must(t, http.StatusOK).data(t); len(got) != 6 {
		t.Errorf("org A1: %d targets, want 6", len(got))
	}
	// Targets page both ways.
	tbase := "/rest/groups/" + groupA + "/inventory/assets/" + testAssetID(1) + "/relationships/targets"
	pages := walk(t, e, "groupA.read", tbase, "next")
	if len(pages) != 2 || len(flat(pages)) != 12 || pages[1][0] != relTargetID(10) {
		t.Errorf("targets pages %v", pages)
	}
	r := e.get("groupA.read", tbase).must(t, http.StatusOK)
	second := e.get("groupA.read", r.doc["links"].(map[string]any)["next"].(string)).must(t, http.StatusOK)
	back := walk(t, e, "groupA.read", second.doc["links"].(map[string]any)["prev"].(string), "prev")
	if len(back) != 1 || !slices.Equal(back[0], pages[0]) {
		t.Errorf("targets backwards %v, want %v", back, pages[:1])
	}
	// 404 for an asset the scope does not hold, or that does not exist.
	for _, c := range []struct{ token, path string }{
		{"groupA.read", rel("groups", groupA, testAssetID(2), "projects")},
		{"orgA1.read", rel("orgs", orgA1, testAssetID(2), "targets")},
		{"tenantA.read", rel("tenants", tenantA, missing, "projects")},
	} {
		e.get(c.token, c.path).wantError(t, http.StatusNotFound, "", "")
	}
	// 403 for a scope the token cannot see, as for every operation that
	// documents 403.
	e.get("orgA1.read", rel("orgs", orgA2, testAssetID(1), "projects")).wantError(t, http.StatusForbidden, "", "")
	e.get("tenantA.read", rel("tenants", tenantA, "x", "projects")).wantError(t, http.StatusBadRequest, "parameter", "asset_id")
}

func TestRelationshipOperationsDocumented(t *testing.T) {
	doc, _, _ := specOf(t)
	for _, scope := range []string{"tenants/{tenant_id}", "groups/{group_id}", "orgs/{org_id}"} {
		label := map[string]string{"tenants/{tenant_id}": "Tenant", "groups/{group_id}": "Group", "orgs/{org_id}": "Org"}[scope]
		for what, params := range map[string][]string{
			"projects": {"limit", "starting_after", "ending_before", "canonical", "target_id", "sort"},
			"targets":  {"limit", "starting_after", "ending_before"},
		} {
			item := doc.Paths.Find("/rest/" + scope + "/inventory/assets/{asset_id}/relationships/" + what)
			if item == nil || item.Get == nil {
				t.Fatalf("no %s route at %s", what, scope)
			}
			want := "listAsset" + strings.ToUpper(what[:1]) + what[1:] + label
			if item.Get.OperationID != want {
				t.Errorf("operation id %s, want %s", item.Get.OperationID, want)
			}
			for _, p := range params {
				if item.Get.Parameters.GetByInAndName("query", p) == nil {
					t.Errorf("%s: no parameter %s", want, p)
				}
			}
		}
	}
}
