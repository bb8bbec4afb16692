package store_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/openinventory/assets/store"
)

const missingAsset = "aaaaaaaa-0000-4000-8000-0000000000ff"

// assetNDJSON is an import line of a bare container image.
func assetNDJSON(id, tenant string, orgs ...string) string {
	return `{"type":"container_images","id":"` + id + `","attributes":{"tenant_id":"` + tenant +
		`","org_ids":[` + quoteJoin(orgs) + `],"registry":"r","repository":"` + id + `"}}` + "\n"
}

func removeNDJSON(id string) string {
	return `{"op":"remove","ref":{"type":"container_images","id":"` + id + `"}}` + "\n"
}

func quoteJoin(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return `"` + strings.Join(ss, `","`) + `"`
}

func TestImportRemoveLinesDeleteAssets(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	if _, err := importString(t, pool, hierarchyNDJSON()+assetNDJSON(asset1, tenantA, orgA1)+assetNDJSON(asset2, tenantA)); err != nil {
		t.Fatal(err)
	}
	sum, err := importString(t, pool, removeNDJSON(missingAsset)+removeNDJSON(asset1))
	if err != nil {
		t.Fatal(err)
	}
	want := store.ImportSummary{Removes: 2, Removed: 1, RemoveMissing: 1, RemoveMissingIDs: []string{missingAsset}}
	if !reflect.DeepEqual(sum, want) {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	if _, err := store.GetAsset(ctx, pool, tenantA, asset1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removed asset: err = %v, want not found", err)
	}
	if _, err := store.GetAsset(ctx, pool, tenantA, asset2); err != nil {
		t.Errorf("other asset: %v", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM asset_orgs WHERE asset_id = $1`, asset1); n != 0 {
		t.Errorf("%d memberships of the removed asset left", n)
	}
	// The tombstone outlives every earlier version of the document.
	if v := count(t, pool, `SELECT max(version) FROM asset_outbox WHERE asset_id = $1 AND deleted`, asset1); v != 2 {
		t.Errorf("tombstone version = %d, want 2", v)
	}
}

func TestImportListsMissingRemovalsUpToTheLimit(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	other := "aaaaaaaa-0000-4000-8000-0000000000fe"
	for _, tc := range []struct {
		limit int
		ids   []string
	}{{0, nil}, {1, []string{other}}, {5, []string{other, missingAsset}}} {
		sum, err := store.Import(context.Background(), pool,
			store.NewNDJSONReader(stringsReader(removeNDJSON(other)+removeNDJSON(missingAsset))), store.ListMissing(tc.limit))
		if err != nil {
			t.Fatal(err)
		}
		if sum.RemoveMissing != 2 || sum.Removed != 0 || !reflect.DeepEqual(sum.RemoveMissingIDs, tc.ids) {
			t.Errorf("limit %d: summary = %+v, want ids %v", tc.limit, sum, tc.ids)
		}
	}
}

func TestRemovalLineRoundTrips(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	in := store.Record{Remove: &store.Removal{Type: store.AssetTypeContainerImage, ID: asset1}}
	if err := store.WriteNDJSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	if buf.String() != removeNDJSON(asset1) {
		t.Errorf("written %q, want %q", buf.String(), removeNDJSON(asset1))
	}
	out, err := store.NewNDJSONReader(&buf).Next()
	if err != nil {
		t.Fatal(err)
	}
	in.Line = 1
	if !reflect.DeepEqual(out, in) {
		t.Errorf("read %+v, want %+v", out, in)
	}
}
