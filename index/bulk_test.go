package index

import (
	"context"
	"github.com/elastic/go-elasticsearch/v8"
	"net/http"
	"testing"
)

// getVersion reads a document's version straight from Elasticsearch (0: absent).
func getVersion(t *testing.T, c *Client, index, id string) int64 {
	t.Helper()
	var res struct {
		Version int64 `json:"_version"`
	}
	err := c.do(context.Background(), http.MethodGet, "/"+index+"/_doc/"+id, nil, &res)
	if isStatus(err, http.StatusNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return res.Version
}

func TestWriteExternalVersions(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	ctx := context.Background()
	assets, _ := synthAssets(2, 3)
	a := assets[0]
	write := func(v int64, del bool) WriteResult {
		t.Helper()
		it := WriteItem{ID: a.ID, Version: v}
		if !del {
			a.Version = v
			d := Project(a)
			it.Doc = &d
		}
		res, err := c.Write(ctx, []string{c.Alias()}, []WriteItem{it})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	if r := write(3, false); r.Err != nil || r.Stale {
		t.Fatalf("write v3: %+v", r)
	}
	if r := write(2, false); r.Err != nil || !r.Stale {
		t.Fatalf("write v2 after v3: %+v, want acknowledged as stale", r)
	}
	if r := write(3, false); r.Err != nil || !r.Stale {
		t.Fatalf("rewrite v3: %+v, want acknowledged as stale", r)
	}
	if v := getVersion(t, c, c.Alias(), a.ID); v != 3 {
		t.Fatalf("version = %d, want 3", v)
	}
	if r := write(2, true); r.Err != nil || !r.Stale {
		t.Fatalf("delete v2: %+v", r)
	}
	if v := getVersion(t, c, c.Alias(), a.ID); v != 3 {
		t.Fatalf("older delete removed the document")
	}
	if r := write(4, true); r.Err != nil || r.Stale {
		t.Fatalf("delete v4: %+v", r)
	}
	if v := getVersion(t, c, c.Alias(), a.ID); v != 0 {
		t.Fatalf("document still there after delete")
	}
	// The tombstone keeps the version: a late write of v3 cannot resurrect it.
	if r := write(3, false); r.Err != nil || !r.Stale {
		t.Fatalf("late write after delete: %+v", r)
	}
	if v := getVersion(t, c, c.Alias(), a.ID); v != 0 {
		t.Fatalf("late write resurrected the document")
	}
	// Deleting what never existed is acknowledged.
	if res, err := c.Write(ctx, []string{c.Alias()}, []WriteItem{{ID: "nothing", Version: 1}}); err != nil || res[0].Err != nil {
		t.Fatalf("delete of a missing document: %v %+v", err, res)
	}
}

func TestWriteTargetsAndItemErrors(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	ctx := context.Background()
	second := c.NewIndexName()
	if err := c.CreateIndex(ctx, second); err != nil {
		t.Fatal(err)
	}
	assets, _ := synthAssets(3, 4)
	var items []WriteItem
	for _, a := range assets {
		d := Project(a)
		items = append(items, WriteItem{ID: a.ID, Version: a.Version, Doc: &d})
	}
	bad := Project(assets[1])
	bad.Config = []byte(`{"broken":`)
	items[1].Doc = &bad
	// A document the strict mapping rejects fails alone.
	items = append(items, WriteItem{ID: "x", Version: 1, Doc: &Document{ID: "x", TenantID: "t", ClassRank: 1000}})
	res, err := c.Write(ctx, []string{c.Alias(), second}, items)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[2].Err != nil {
		t.Errorf("good items failed: %+v", res)
	}
	if res[1].Err == nil {
		t.Error("invalid config: no error")
	}
	if res[3].Err == nil {
		t.Error("class_rank out of range for byte: no error")
	} else {
		t.Logf("item error: %v", res[3].Err)
	}
	for _, idx := range []string{c.Alias(), second} {
		if v := getVersion(t, c, idx, assets[0].ID); v != assets[0].Version {
			t.Errorf("%s: version %d, want %d", idx, v, assets[0].Version)
		}
	}
	// An invalid target fails per item.
	if res, err := c.Write(ctx, []string{"no/such/index"}, items[:1]); err != nil || res[0].Err == nil {
		t.Errorf("bad target: %v, %+v", err, res)
	}
	// Elasticsearch unreachable: a whole-request error.
	down, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{"http://127.0.0.1:1"}, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(down, "x").Write(ctx, []string{"x"}, items[:1]); err == nil {
		t.Error("unreachable Elasticsearch: no error")
	}
}

func TestBulkLoader(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	ctx := context.Background()
	name := c.NewIndexName()
	if err := c.CreateIndex(ctx, name); err != nil {
		t.Fatal(err)
	}
	assets, _ := synthAssets(2000, 5)
	l, err := c.NewBulkLoader(ctx, BulkLoaderConfig{Index: name, Workers: 2, FlushBytes: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range assets {
		d := Project(a)
		if err := l.Add(ctx, &d); err != nil {
			t.Fatal(err)
		}
	}
	// The same documents again at their versions: conflicts, not failures.
	for _, a := range assets[:100] {
		d := Project(a)
		if err := l.Add(ctx, &d); err != nil {
			t.Fatal(err)
		}
	}
	s, err := l.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Added != 2100 || s.Indexed != 2000 || s.Conflicts != 100 || s.Failed != 0 {
		t.Errorf("stats = %+v", s)
	}
	if err := c.Refresh(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SwapAlias(ctx, name); err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, tenant := range []string{assets[0].TenantID, assets[1].TenantID, assets[2].TenantID} {
		err := c.Versions(ctx, tenant, func(id string, v int64) error { n++; return nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	if n != 2000 {
		t.Errorf("versions streamed %d ids, want 2000", n)
	}
}
