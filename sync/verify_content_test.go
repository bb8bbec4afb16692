package sync

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// A document damaged in Elasticsearch under its current version is content
// drift: verify reports it, --repair rewrites it, verify is clean again.
func TestVerifyCatchesAndRepairsContentDrift(t *testing.T) {
	t.Parallel()
	f := setup(t, 30)
	ctx := context.Background()
	w := NewWorker(f.pool, f.idx, quiet(), WorkerConfig{})
	drain(t, w)
	assertNoDrift(t, f)

	id := f.summary.FirstAssets[0]
	assets, err := store.AssetsByID(ctx, f.pool, []string{id})
	if err != nil || len(assets) != 1 {
		t.Fatalf("reading %s: %v", id, err)
	}
	doc := index.Project(assets[0])
	doc.Labels = []string{"damaged"}
	body, err := doc.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.es.Index(f.idx.Alias(), strings.NewReader(string(body)), f.es.Index.WithDocumentID(id),
		f.es.Index.WithVersion(int(doc.Version)), f.es.Index.WithVersionType("external_gte"), f.es.Index.WithRefresh("true"))
	if err != nil || res.IsError() {
		t.Fatalf("damaging %s: %v %v", id, err, res)
	}
	res.Body.Close()

	rep, err := Verify(ctx, f.pool, f.idx, VerifyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var changed []string
	for _, d := range rep.Tenants {
		changed = append(changed, d.Changed...)
		if len(d.Missing)+len(d.Stale)+len(d.Extra) > 0 {
			t.Errorf("tenant %s: unexpected drift %+v", d.TenantID, d)
		}
	}
	if rep.Drifted != 1 || len(changed) != 1 || changed[0] != id {
		t.Fatalf("drifted %d, changed %v; want %s alone", rep.Drifted, changed, id)
	}
	rep, err = Verify(ctx, f.pool, f.idx, VerifyConfig{Repair: true, PageSize: 7})
	if err != nil || rep.Repaired != 1 {
		t.Fatalf("repair: %d repaired, %v", rep.Repaired, err)
	}
	drain(t, w)
	assertNoDrift(t, f)
	got, err := f.es.Get(f.idx.Alias(), id)
	if err != nil || got.IsError() {
		t.Fatalf("reading %s back: %v %v", id, err, got)
	}
	defer got.Body.Close()
	raw, err := io.ReadAll(got.Body)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(raw); strings.Contains(s, "damaged") || !strings.Contains(s, `"_version":`+strconv.FormatInt(doc.Version+1, 10)) {
		t.Errorf("after repair: %s", s)
	}
}
