package index

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	json "github.com/goccy/go-json"
)

func TestAttributeSelectionShape(t *testing.T) {
	stored := json.RawMessage(`{"class":{"rank":1},"labels":["a"],"tags":{},"name":"n","issues":{"low":1},"created_at":"2024-01-01T00:00:00Z"}`)
	for _, tc := range []struct {
		name   string
		fields []string
		want   string
	}{
		{"all: as stored", nil, string(stored)},
		{"none", []string{}, `{}`},
		{"one", []string{"name"}, `{"name":"n"}`},
		{"sorted by name", []string{"tags", "created_at", "class"}, `{"class":{"rank":1},"created_at":"2024-01-01T00:00:00Z","tags":{}}`},
		{"marker dropped unless asked", []string{"labels"}, `{"labels":["a"]}`},
		{"marker asked", []string{"issues"}, `{"issues":{"low":1}}`},
		{"absent attribute left out", []string{"risk_score", "name"}, `{"name":"n"}`},
		{"duplicates once", []string{"name", "name"}, `{"name":"n"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sel := &AttributeSelection{Fields: tc.fields}
			got, err := sel.shape(stored)
			if err != nil || string(got) != tc.want {
				t.Errorf("shape = %s, %v; want %s", got, err, tc.want)
			}
		})
	}
	if _, err := (&AttributeSelection{Fields: []string{"name"}}).shape(json.RawMessage(`{"name":`)); err == nil {
		t.Error("broken stored attributes: no error")
	}
}

func TestAttributeSelectionSource(t *testing.T) {
	all := (&AttributeSelection{}).source()["includes"].([]string)
	if !slices.Equal(all, []string{"type", "attrs"}) {
		t.Errorf("all: includes %q", all)
	}
	some := (&AttributeSelection{Fields: []string{"name"}}).source()["includes"].([]string)
	if !slices.Equal(some, []string{"type", "attrs." + attrsMarker, "attrs.name"}) {
		t.Errorf("sparse: includes %q", some)
	}
}

// TestProjectStoresAttributes: every projected document carries the API's
// attributes of its asset, and the marker a sparse read relies on.
func TestProjectStoresAttributes(t *testing.T) {
	assets, _ := synthAssets(200, 3)
	for _, a := range assets {
		d := Project(a)
		want, err := AttributesJSON(a)
		if err != nil || string(d.Attrs) != string(want) {
			t.Fatalf("%s: attrs %s, %v; want %s", a.ID, d.Attrs, err, want)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(d.Attrs, &m); err != nil || m[attrsMarker] == nil {
			t.Fatalf("%s: no %s in attrs %s (%v)", a.ID, attrsMarker, d.Attrs, err)
		}
	}
}

// TestAttributesJSONInUTC: times read in another location are stored as
// the decoded document answers them, in UTC.
func TestAttributesJSONInUTC(t *testing.T) {
	assets, _ := synthAssets(1, 8)
	a := *assets[0]
	loc := time.FixedZone("X", 3600)
	built := time.Date(2024, 1, 2, 3, 4, 5, 600, loc)
	a.BuiltAt, a.LastScan = &built, &built
	a.LastSeenAt, a.CreatedAt, a.UpdatedAt = built, built, built
	raw, err := AttributesJSON(&a)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"built_at", "last_scan", "last_seen_at", "created_at", "updated_at"} {
		if m[k] != "2024-01-02T02:04:05.0000006Z" {
			t.Errorf("%s = %v, want UTC", k, m[k])
		}
	}
	if a.BuiltAt.Location() != loc {
		t.Error("the asset was changed")
	}
}

// TestSearchAttributesMatchDecoded reads every fixture asset with and without
// a selection: the stored attributes equal the ones computed from the
// decoded document, for the whole object and for sparse fieldsets, and a
// page of documents lacking attrs (indexed before it existed) is answered
// the same.
func TestSearchAttributesMatchDecoded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tenant := f.assets[0].TenantID
	fieldsets := [][]string{nil, {}, {"name"}, {"variant", "tags", "issues"}, {"config", "created_at", "labels", "class"}}
	check := func(t *testing.T) {
		for _, fields := range fieldsets {
			sel := &AttributeSelection{Fields: fields}
			r := SearchRequest{Scope: Scope{TenantID: tenant}, Sort: []SortField{{Name: "risk_score", Desc: true}}, Limit: 100}
			old, err := f.c.Search(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			want, err := attributesHits(old.Assets, sel)
			if err != nil {
				t.Fatal(err)
			}
			r.Attributes = sel
			got, err := f.c.Search(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Assets) != 0 || len(got.Hits) != len(want) || !slices.EqualFunc(got.Sort, old.Sort, slices.Equal) {
				t.Fatalf("fields %q: %d assets, %d hits, want %d hits in the same order", fields, len(got.Assets), len(got.Hits), len(want))
			}
			for i := range want {
				if !sameJSON(got.Hits[i].Attributes, want[i].Attributes) || got.Hits[i].ID != want[i].ID || got.Hits[i].Type != want[i].Type {
					t.Fatalf("fields %q, %s:\n got %s\nwant %s", fields, want[i].ID, got.Hits[i].Attributes, want[i].Attributes)
				}
			}
		}
	}
	t.Run("stored", check)
	// Rewrite a third of the documents as before attrs existed.
	var items []WriteItem
	for i, a := range f.assets {
		if a.TenantID == tenant && i%3 == 0 {
			d := Project(a)
			d.Attrs = nil
			items = append(items, WriteItem{ID: a.ID, Version: a.Version + 1, Doc: &d})
		}
	}
	res, err := f.c.Write(ctx, []string{f.c.Alias()}, items)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if err := f.c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	t.Run("without attrs", check)
}

// sameJSON: equal values and the same member order at the top level.
func sameJSON(a, b json.RawMessage) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb) && slices.Equal(topKeys(a), topKeys(b))
}

// topKeys are the member names of a JSON object, in order.
func topKeys(raw json.RawMessage) []string {
	dec := stdjson.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != stdjson.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		keys = append(keys, tok.(string))
		var skip stdjson.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}

// TestEnsureIndexAddsAttrs: an index made before attrs existed (strict
// mapping without it) takes projected documents after EnsureIndex.
func TestEnsureIndexAddsAttrs(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	ctx := context.Background()
	old := c.Alias() + "-old"
	body := indexBody()
	delete(body["mappings"].(map[string]any)["properties"].(map[string]any), "attrs")
	if err := c.do(ctx, http.MethodPut, "/"+old, body, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteIndex(context.Background(), old) })
	assets, _ := synthAssets(1, 5)
	d := Project(assets[0])
	write := func() error {
		res, err := c.Write(ctx, []string{old}, []WriteItem{{ID: assets[0].ID, Version: assets[0].Version, Doc: &d}})
		if err == nil && res[0].Err != nil {
			err = res[0].Err
		}
		return err
	}
	if write() == nil {
		t.Fatal("the old mapping took a document with attrs: the test proves nothing")
	}
	if _, err := c.SwapAlias(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if err := write(); err != nil {
		t.Fatalf("after EnsureIndex: %v", err)
	}
}
