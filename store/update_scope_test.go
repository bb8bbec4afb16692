package store_test

import (
	"context"
	"testing"

	"github.com/openinventory/assets/store"
)

// The UPDATE statement repeats the scope: even with the pre-check skipped,
// it changes no asset outside the path's scope.
func TestUpdateStatementKeepsTheScope(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	if _, err := importString(t, pool, hierarchyNDJSON()+
		`{"type":"container_images","id":"`+asset1+`","attributes":{"tenant_id":"`+tenantA+`","org_ids":["`+orgA1+`"]}}`+"\n"+
		`{"type":"container_images","id":"`+asset2+`","attributes":{"tenant_id":"`+tenantA+`","org_ids":["`+orgA2+`"]}}`+"\n"); err != nil {
		t.Fatal(err)
	}
	patches := []store.Patch{
		{ID: asset1, Labels: &store.LabelsPatch{Add: []string{"z"}}},
		{ID: asset2, Labels: &store.LabelsPatch{Add: []string{"z"}}},
	}
	for _, tc := range []struct {
		name  string
		scope store.Scope
		want  int64
	}{
		{"other tenant", store.Scope{Kind: "tenant", ID: tenantB, TenantID: tenantB}, 0},
		{"other group", store.Scope{Kind: "group", ID: groupB, TenantID: tenantB, GroupID: groupB}, 0},
		{"group of the tenant, wrong tenant id", store.Scope{Kind: "group", ID: groupA, TenantID: tenantB, GroupID: groupA}, 0},
		{"org 1 only", store.Scope{Kind: "org", ID: orgA1, TenantID: tenantA, GroupID: groupA, OrgID: orgA1}, 1},
	} {
		n, err := store.ApplyUpdateUnchecked(ctx, pool, tc.scope, patches)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n != tc.want {
			t.Errorf("%s: updated %d rows, want %d", tc.name, n, tc.want)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM assets WHERE 'z' = ANY (labels) AND id = $1`, asset2); n != 0 {
		t.Errorf("asset outside every scope used was changed")
	}
	if n := count(t, pool, `SELECT count(*) FROM assets WHERE 'z' = ANY (labels) AND id = $1`, asset1); n != 1 {
		t.Errorf("asset in the org scope was not changed")
	}
}
