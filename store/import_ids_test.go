package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/openinventory/assets/store"
)

// TestImportRejectsDuplicateIDs: a second line with an id of the same type
// is refused with both line numbers, and nothing is written.
func TestImportRejectsDuplicateIDs(t *testing.T) {
	t.Parallel()
	assetLine := func(id string) string {
		return `{"type":"container_images","id":"` + id + `","attributes":{"tenant_id":"` + tenantA + `"}}` + "\n"
	}
	removeLine := func(id string) string {
		return `{"op":"remove","ref":{"type":"container_images","id":"` + id + `"}}` + "\n"
	}
	// hierarchyNDJSON is lines 1-7: tenants 1-2, groups 3-4, orgs 5-7.
	cases := []struct {
		name, extra string
		line, first int
		id          string
	}{
		{"tenant", `{"type":"tenants","id":"` + tenantA + `","attributes":{"name":"again"}}` + "\n", 8, 1, tenantA},
		{"group", `{"type":"groups","id":"` + groupB + `","attributes":{"tenant_id":"` + tenantB + `","name":"x"}}` + "\n", 8, 4, groupB},
		{"org", `{"type":"orgs","id":"` + orgA2 + `","attributes":{"group_id":"` + groupA + `","name":"x"}}` + "\n", 8, 6, orgA2},
		{"container image", assetLine(asset1) + assetLine(asset2) + assetLine(asset1), 10, 8, asset1},
		{"same uuid in upper case", assetLine(asset1) + assetLine(strings.ToUpper(asset1)), 9, 8, asset1},
		{"asset then its removal", assetLine(asset1) + removeLine(asset1), 9, 8, asset1},
		{"two removals", removeLine(asset2) + removeLine(asset2), 9, 8, asset2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool := testenvPostgres(t)
			_, err := importString(t, pool, hierarchyNDJSON()+tc.extra)
			var le *store.LineError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a line error", err)
			}
			want := fmt.Sprintf("line %d: duplicate id %s (first on line %d)", tc.line, tc.id, tc.first)
			if le.Error() != want {
				t.Errorf("err = %q, want %q", le.Error(), want)
			}
			if n := count(t, pool, `SELECT (SELECT count(*) FROM tenants) + (SELECT count(*) FROM assets) + (SELECT count(*) FROM asset_outbox)`); n != 0 {
				t.Errorf("%d rows written; want none", n)
			}
		})
	}
}

// TestImportAllowsSameIDAcrossTypes: ids are per type, as in JSON:API.
func TestImportAllowsSameIDAcrossTypes(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	sum, err := importString(t, pool, hierarchyNDJSON()+
		`{"type":"container_images","id":"`+tenantA+`","attributes":{"tenant_id":"`+tenantA+`"}}`+"\n")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Tenants != 2 || sum.Assets != 1 {
		t.Errorf("summary = %+v", sum)
	}
}
