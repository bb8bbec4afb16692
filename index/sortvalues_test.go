package index

import (
	"encoding/json"
	"testing"
)

func TestCheckSortValues(t *testing.T) {
	t.Parallel()
	n := func(s string) json.Number { return json.Number(s) }
	const id = "aaaaaaaa-0000-4000-8000-000000000001"
	for _, tc := range []struct {
		name   string
		sort   []SortField
		values []any
		ok     bool
	}{
		{"id only", nil, []any{id}, true},
		{"date", []SortField{{Name: "created_at"}}, []any{n("1704067200000"), id}, true},
		{"date missing (long max)", []SortField{{Name: "created_at", Desc: true}}, []any{n("9223372036854775807"), id}, true},
		{"keyword", []SortField{{Name: "registry"}}, []any{"docker.io", id}, true},
		{"keyword missing", []SortField{{Name: "url"}}, []any{nil, id}, true},
		{"byte rank", []SortField{{Name: "class"}}, []any{n("2"), id}, true},
		{"issues: four fields", []SortField{{Name: MetaIssues}}, []any{n("1"), n("0"), n("3"), n("0"), id}, true},
		{"two sorts", []SortField{{Name: "registry"}, {Name: "created_at", Desc: true}}, []any{nil, n("5"), id}, true},
		{"point in time: _shard_doc", []SortField{{Name: "created_at"}}, []any{n("1"), id, n("4294967296")}, true},
		{"point in time: _shard_doc as text", []SortField{{Name: "created_at"}}, []any{n("1"), id, "x"}, false},
		{"too few", []SortField{{Name: "created_at"}}, []any{id}, false},
		{"too many", []SortField{{Name: "created_at"}}, []any{n("1"), n("2"), id}, false},
		{"issues: one field", []SortField{{Name: MetaIssues}}, []any{n("1"), id}, false},
		{"date as text", []SortField{{Name: "created_at"}}, []any{"yesterday", id}, false},
		{"date as float", []SortField{{Name: "created_at"}}, []any{n("1.5"), id}, false},
		{"date beyond long", []SortField{{Name: "created_at"}}, []any{n("99999999999999999999"), id}, false},
		{"date as object", []SortField{{Name: "created_at"}}, []any{map[string]any{"a": 1}, id}, false},
		{"keyword as number", []SortField{{Name: "registry"}}, []any{n("7"), id}, false},
		{"keyword as list", []SortField{{Name: "registry"}}, []any{[]any{"a"}, id}, false},
		{"id as number", []SortField{{Name: "registry"}}, []any{"a", n("1")}, false},
		{"id missing", []SortField{{Name: "registry"}}, []any{"a", nil}, false},
		{"no values", []SortField{{Name: "registry"}}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSortValues(tc.sort, tc.values)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckSortValues = %v, want ok %v", err, tc.ok)
			}
			if err != nil {
				if _, isInvalid := InvalidDetail(err); !isInvalid {
					t.Errorf("error %v is not a request error", err)
				}
			}
		})
	}
}

// A point-in-time page's cursor continues without the point in time (when
// it is gone) without the _shard_doc value.
func TestSearchAfterDropsShardDocWithoutPIT(t *testing.T) {
	t.Parallel()
	sort := []SortField{{Name: "created_at"}}
	vals := []any{json.Number("1"), "id", json.Number("7")}
	for _, pit := range []bool{true, false} {
		r := SearchRequest{Scope: Scope{TenantID: "t"}, Sort: sort, SearchAfter: vals}
		if pit {
			r.PIT = "p"
		}
		req, err := r.request("assets")
		if err != nil {
			t.Fatal(err)
		}
		want := 3
		if !pit {
			want = 2
		}
		if got := len(req.Body["search_after"].([]any)); got != want {
			t.Errorf("pit %v: %d search_after values, want %d", pit, got, want)
		}
	}
	r := SearchRequest{Scope: Scope{TenantID: "t"}, Sort: sort, SearchAfter: vals[:2]}
	if req, _ := r.request("assets"); len(req.Body["search_after"].([]any)) != 2 {
		t.Error("a list cursor lost a value")
	}
}
