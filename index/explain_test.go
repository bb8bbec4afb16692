package index

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/openinventory/assets/rsql"
)

func TestDiagnose(t *testing.T) {
	c := New(nil, "assets")
	filter, err := rsql.Parse("class==A")
	if err != nil {
		t.Fatal(err)
	}
	scope := Scope{TenantID: "t1"}
	for _, tc := range []struct {
		read Read
		path string
		want string // the body's JSON
	}{
		{SearchRequest{Scope: scope, Sort: []SortField{{Name: "issues", Desc: true}}, Limit: 20}, "/assets/_search",
			`{"query":{"bool":{"filter":[{"term":{"tenant_id":"t1"}}]}},"size":21,"sort":[` +
				`{"issues.critical":{"missing":"_last","order":"desc","unmapped_type":"keyword"}},` +
				`{"issues.high":{"missing":"_last","order":"desc","unmapped_type":"keyword"}},` +
				`{"issues.medium":{"missing":"_last","order":"desc","unmapped_type":"keyword"}},` +
				`{"issues.low":{"missing":"_last","order":"desc","unmapped_type":"keyword"}},` +
				`{"id":{"order":"asc"}}],"track_total_hits":false}`},
		{SearchRequest{Scope: scope, Count: CountOnly, PIT: "p1", KeepAlive: time.Minute}, "/_search",
			`{"pit":{"id":"p1","keep_alive":"60s"},"query":{"bool":{"filter":[{"term":{"tenant_id":"t1"}}]}},"size":0,"track_total_hits":true}`},
		{GroupValuesRequest{Scope: scope, Field: "class", Filter: filter, Sort: []SortField{{Name: "count", Desc: true}}}, "/assets/_search",
			`{"aggs":{"g":{"composite":{"size":2000,"sources":[{"v":{"terms":{"field":"class"}}}]}}},` +
				`"query":{"bool":{"filter":[{"term":{"tenant_id":"t1"}},{"term":{"class":"A"}}]}},"size":0,"track_total_hits":false}`},
		{FilterValuesRequest{Scope: scope, Field: "tags", Key: "env"}, "/assets/_search",
			`{"aggs":{"g":{"composite":{"after":{"v":"env\u001e"},"size":1000,"sources":[{"v":{"terms":{"field":"tags","order":"asc"}}}]}}},` +
				`"query":{"bool":{"filter":[{"term":{"tenant_id":"t1"}},{"term":{"tag_keys":"env"}}]}},"size":0,"track_total_hits":false}`},
	} {
		r, err := c.Diagnose(tc.read)
		if err != nil {
			t.Fatalf("%T: %v", tc.read, err)
		}
		body, _ := json.Marshal(r.Body)
		if r.Method != http.MethodPost || r.Path != tc.path || string(body) != tc.want {
			t.Errorf("%T: %s %s\n%s\nwant %s", tc.read, r.Method, r.Path, body, tc.want)
		}
	}
	if _, err := c.Diagnose(GroupValuesRequest{Scope: scope, Field: "nope"}); err == nil {
		t.Error("unknown group field: no error")
	}
}
