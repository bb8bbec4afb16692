package bench

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/openinventory/assets/index"
)

// The group values rows measure each many-valued field under every sort
// one terms aggregation can order by, and every row names a group field
// and sort keys the API accepts.
func TestFacetRows(t *testing.T) {
	cat := index.NewCatalogue()
	sorts := map[string][]string{}
	for _, row := range facetRows() {
		if _, ok := cat.GroupByName(row.field); !ok {
			t.Errorf("%s: not a group field", row.name())
		}
		for _, s := range parseSort(row.sort) {
			if !slices.Contains(index.GroupSortFields, s.Name) {
				t.Errorf("%s: %s is not a group values sort", row.name(), s.Name)
			}
		}
		for f, mode := range row.agg {
			if !slices.Contains(index.MetaModes(f), mode) {
				t.Errorf("%s: aggregate[%s]=%s is not accepted", row.name(), f, mode)
			}
		}
		sorts[row.field] = append(sorts[row.field], row.sort)
	}
	want := []string{"-count", "count", "value", "-value", "-risk_score", "risk_score", "-issues", "issues"}
	for _, f := range manyValuedFacetFields {
		if !slices.Equal(sorts[f], want) {
			t.Errorf("%s: sorts %q, want %q", f, sorts[f], want)
		}
	}
}

func TestDirectTerms(t *testing.T) {
	query := index.Query{"match_all": index.Query{}}
	for _, tc := range []struct {
		row  facetRow
		want string
	}{
		{facetRow{sort: "-count"}, `{"g":{"terms":{"field":"name","order":[{"_count":"desc"},{"_key":"asc"}],"size":11}}}`},
		{facetRow{sort: "value"}, `{"g":{"terms":{"field":"name","order":[{"_key":"asc"}],"size":11}}}`},
		{facetRow{sort: "-risk_score", agg: map[string]string{"risk_score": "max"}},
			`{"g":{"aggs":{"m":{"max":{"field":"risk_score"}}},"terms":{"field":"name","order":[{"m":"desc"},{"_key":"asc"}],"size":11}}}`},
		{facetRow{sort: "issues", agg: map[string]string{"issues": "sum"}},
			`{"g":{"aggs":{"critical":{"sum":{"field":"issues.critical"}},"high":{"sum":{"field":"issues.high"}},` +
				`"low":{"sum":{"field":"issues.low"}},"medium":{"sum":{"field":"issues.medium"}}},"terms":{"field":"name",` +
				`"order":[{"critical":"asc"},{"high":"asc"},{"medium":"asc"},{"low":"asc"},{"_key":"asc"}],"size":11}}}`},
	} {
		body := tc.row.directTerms(query, "name")
		aggs, _ := json.Marshal(body["aggs"])
		if string(aggs) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.row.sort, aggs, tc.want)
		}
		if body["size"] != 0 || body["track_total_hits"] != false {
			t.Errorf("%s: %v asks for hits or a total", tc.row.sort, body)
		}
	}
}

func TestDecodeTermsPage(t *testing.T) {
	b := []byte(`{"aggregations":{"g":{"buckets":[{"key":"env\u001fprod","doc_count":3},{"key":"a","doc_count":2},{"key":"b","doc_count":1}]}}}`)
	got, pairs, err := decodeTermsPage(b, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []groupCount{{"env:prod", 3}, {"a", 2}}; !slices.Equal(got, want) || !pairs {
		t.Errorf("got %v pairs %v, want %v and pairs", got, pairs, want)
	}
	if _, _, err := decodeTermsPage([]byte(`{`), 2); err == nil {
		t.Error("a broken answer: no error")
	}
}

func TestCompositeField(t *testing.T) {
	q := index.Query{"term": index.Query{"tenant_id": "t"}}
	body := index.Query{"query": q, "aggs": index.Query{"g": index.Query{"composite": index.Query{
		"sources": []any{index.Query{"v": index.Query{"terms": index.Query{"field": "image_tags"}}}}}}}}
	field, query, err := compositeField(body)
	if err != nil || field != "image_tags" || query == nil {
		t.Fatalf("%q %v %v", field, query, err)
	}
	if _, _, err := compositeField(index.Query{}); err == nil {
		t.Error("no composite: no error")
	}
}
