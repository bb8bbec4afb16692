package api

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// TestWildcardsOnEnumeratedFields: the contract's wildcard examples on
// type and class are answered in lists and facets, not refused; in a
// list they stay literal values and are refused when they name no value.
func TestWildcardsOnEnumeratedFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	base := tenantPath(tenantA)
	all := ids(e.get("tenantA.read", base+v+"&limit=100").must(t, http.StatusOK).data(t))
	if len(all) == 0 {
		t.Fatal("the fixture has no assets")
	}
	slices.Sort(all)
	for _, filter := range []string{"type==*image*", "type==container*", "type==*images", "class!=*test*", "type==*IMAGE*;class==*"} {
		got := ids(e.get("tenantA.read", base+v+"&limit=100&filter="+url.QueryEscape(filter)).must(t, http.StatusOK).data(t))
		slices.Sort(got)
		if !slices.Equal(got, all) {
			t.Errorf("%s: got %v, want every asset %v", filter, got, all)
		}
	}
	if got := e.get("tenantA.read", base+v+"&filter="+url.QueryEscape("type!=*image*")).must(t, http.StatusOK).data(t); len(got) != 0 {
		t.Errorf("type!=*image*: got %d assets, want none", len(got))
	}
	groupField := mustGroupID(t, "registry")
	e.get("tenantA.read", base+"/groups/"+groupField+"/values"+v+"&filter="+url.QueryEscape("type==*image*")).must(t, http.StatusOK)
	e.get("tenantA.read", base+v+"&filter="+url.QueryEscape("class=in=(A*)")).wantError(t, http.StatusBadRequest, "parameter", "filter")
}
