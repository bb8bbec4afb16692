package api

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/openinventory/assets/index"
)

// TestFacetsEveryScope walks the four facet operations at each scope over
// one environment; it is long because the steps share that setup.
func TestFacetsEveryScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(30)+fewAssets())
	cat := index.NewCatalogue()
	registry := mustGroupID(t, "registry")
	tagsFilter, _ := cat.FilterByName("tags")
	regFilter, _ := cat.FilterByName("registry")
	for _, tc := range []struct {
		token, base string
		registries  map[string]float64 // registry value -> count
	}{
		{"tenantA.read", tenantPath(tenantA), map[string]float64{"docker.io": 11, "gcr.io": 11, "quay.io": 11, "ghcr.io": 1}},
		{"groupA.read", groupPath(groupA), map[string]float64{"docker.io": 11, "gcr.io": 11, "quay.io": 10}},
		{"orgA1.read", orgPath(orgA1), map[string]float64{"docker.io": 11, "gcr.io": 10, "quay.io": 10}},
	} {
		// Group fields: two pages of the catalogue's fields, each with its values link.
		res := e.get(tc.token, tc.base+"/groups"+v).must(t, http.StatusOK)
		first := res.data(t)
		if len(first) != 10 || res.link("next") == "" || first[0]["type"] != "group_fields" {
			t.Fatalf("%s groups: %s", tc.base, res.raw)
		}
		rel := first[0]["relationships"].(map[string]any)["values"].(map[string]any)["links"].(map[string]any)["related"].(string)
		e.get(tc.token, rel).must(t, http.StatusOK)
		res2 := e.get(tc.token, res.link("next")).must(t, http.StatusOK)
		if n := len(res2.data(t)) + len(first); n != len(cat.Groups()) {
			t.Errorf("%d group fields over two pages, want %d", n, len(cat.Groups()))
		}
		back := e.get(tc.token, res2.link("prev")).must(t, http.StatusOK)
		if !slices.Equal(ids(back.data(t)), ids(first)) {
			t.Errorf("prev of the second page is not the first")
		}

		// Group values with counts, sorted by count descending then value.
		res = e.get(tc.token, tc.base+"/groups/"+registry+"/values"+v+"&meta_fields=count,labels&sort=-count,value").must(t, http.StatusOK)
		got := map[string]float64{}
		var order []string
		for _, it := range res.data(t) {
			val := attrs(it)["value"].(string)
			got[val] = it["meta"].(map[string]any)["count"].(float64)
			order = append(order, val)
			if it["type"] != "group_values" || it["id"] == "" {
				t.Errorf("group value = %v", it)
			}
		}
		for k, want := range tc.registries {
			if got[k] != want {
				t.Errorf("%s: count of %s = %v, want %v (all: %v)", tc.base, k, got[k], want, got)
			}
		}
		if len(got) != len(tc.registries) {
			t.Errorf("%s: values %v", tc.base, got)
		}
		if order[0] != "docker.io" {
			t.Errorf("%s: order = %v", tc.base, order)
		}

		// Filter fields and autocomplete.
		res = e.get(tc.token, tc.base+"/filters"+v+"&limit=100").must(t, http.StatusOK)
		if n := len(res.data(t)); n != len(cat.Filters()) {
			t.Errorf("%d filter fields, want %d", n, len(cat.Filters()))
		}
		res = e.get(tc.token, tc.base+"/filters/"+regFilter.ID+"/values"+v+"&q=io").must(t, http.StatusOK)
		var vals []string
		for _, it := range res.data(t) {
			vals = append(vals, attrs(it)["value"].(string))
		}
		if !slices.Contains(vals, "docker.io") || !slices.IsSorted(vals) {
			t.Errorf("%s: registry values = %v", tc.base, vals)
		}
		res = e.get(tc.token, tc.base+"/filters/"+tagsFilter.ID+"/values"+v+"&keys_only=true").must(t, http.StatusOK)
		if d := res.data(t); len(d) != 1 || attrs(d[0])["key"] != "env" {
			t.Errorf("%s: tag keys = %s", tc.base, res.raw)
		}
		res = e.get(tc.token, tc.base+"/filters/"+tagsFilter.ID+"/values"+v+"&key=env").must(t, http.StatusOK)
		if d := res.data(t); len(d) != 2 || attrs(d[0])["value"] != "dev" || attrs(d[1])["value"] != "prod" {
			t.Errorf("%s: env values = %s", tc.base, res.raw)
		}
	}

	// Paging group values, and a filter.
	base := tenantPath(tenantA) + "/groups/" + mustGroupID(t, "repository") + "/values" + v + "&sort=value"
	var all []string
	next := base
	for next != "" {
		res := e.get("tenantA.read", next).must(t, http.StatusOK)
		for _, it := range res.data(t) {
			all = append(all, attrs(it)["value"].(string))
		}
		next = res.link("next")
	}
	if len(all) != 34 || !slices.IsSorted(all) {
		t.Errorf("%d repositories over pages (sorted: %v)", len(all), slices.IsSorted(all))
	}
	res := e.get("tenantA.read", tenantPath(tenantA)+"/groups/"+registry+"/values"+v+"&filter="+url.QueryEscape("registry==gcr.io")).must(t, http.StatusOK)
	if d := res.data(t); len(d) != 1 || attrs(d[0])["value"] != "gcr.io" || d[0]["meta"] != nil {
		t.Errorf("filtered values = %s", res.raw)
	}

	// Bad inputs.
	for _, tc := range []struct{ path, param string }{
		{"/groups/" + registry + "/values" + v + "&meta_fields=colour", "meta_fields"},
		{"/groups/" + registry + "/values" + v + "&aggregate[issues]=max", "aggregate[issues]"},
		{"/groups/" + registry + "/values" + v + "&aggregate[colour]=max", "aggregate[colour]"},
		{"/groups/" + registry + "/values" + v + "&sort=registry", "sort"},
		{"/groups/" + registry + "/values" + v + "&filter=a==", "filter"},
		{"/groups/nope/values" + v, "group_field_id"},
		{"/groups" + v + "&asset_types=widgets", "asset_types"},
		{"/filters/" + regFilter.ID + "/values" + v + "&keys_only=true", "keys_only"},
		{"/filters/" + tagsFilter.ID + "/values" + v + "&keys_only=maybe", "keys_only"},
		{"/filters/" + regFilter.ID + "/values" + v + "&starting_after=v1.e30", "starting_after"},
	} {
		e.get("tenantA.read", tenantPath(tenantA)+tc.path).wantError(t, http.StatusBadRequest, "parameter", tc.param)
	}
	e.get("tenantA.read", tenantPath(tenantA)+"/groups/"+missing+"/values"+v).wantError(t, http.StatusNotFound, "", "")
	e.get("tenantA.read", tenantPath(tenantA)+"/filters/"+missing+"/values"+v).wantError(t, http.StatusNotFound, "", "")
}
