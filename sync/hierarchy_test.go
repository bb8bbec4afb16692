package sync

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
)

const (
	moveTenant  = "11111111-1111-4111-8111-111111111111"
	moveTenant2 = "11111111-1111-4111-8111-111111111112"
	moveGroup1  = "33333333-3333-4333-8333-333333333331"
	moveGroup2  = "33333333-3333-4333-8333-333333333332"
	moveOrg     = "44444444-4444-4444-8444-444444444441"
)

func hierarchyLines(orgGroup, group2Tenant string) string {
	return fmt.Sprintf(`{"type":"tenants","id":"%[1]s","attributes":{"name":"T"}}
{"type":"tenants","id":"%[2]s","attributes":{"name":"T2"}}
{"type":"groups","id":"%[3]s","attributes":{"tenant_id":"%[1]s","name":"G1"}}
{"type":"groups","id":"%[4]s","attributes":{"tenant_id":"%[6]s","name":"G2"}}
{"type":"orgs","id":"%[5]s","attributes":{"group_id":"%[7]s","name":"O"}}
`, moveTenant, moveTenant2, moveGroup1, moveGroup2, moveOrg, group2Tenant, orgGroup)
}

func movedAssetLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"type":"container_images","id":"aaaaaaaa-0000-4000-8000-%012d","attributes":{"tenant_id":"%s","org_ids":["%s"],"registry":"docker.io","repository":"moved/%d"}}`+"\n",
			i+1, moveTenant, moveOrg, i)
	}
	return b.String()
}

func importLines(t *testing.T, f *fixture, s string) {
	t.Helper()
	if _, err := store.Import(context.Background(), f.pool, store.NewNDJSONReader(strings.NewReader(s))); err != nil {
		t.Fatalf("import: %v", err)
	}
}

func scopeCount(t *testing.T, f *fixture, s index.Scope) int64 {
	t.Helper()
	if err := f.idx.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	n, err := f.idx.Count(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// An org moved to another group by import re-projects its assets: the
// old group's scope no longer finds them, the new one does.
func TestImportMovingAnOrgReindexesItsAssets(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	es, prefix := testenv.Elasticsearch(t)
	f := &fixture{pool: pool, idx: index.New(es, prefix), es: es}
	if err := f.idx.EnsureIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	importLines(t, f, hierarchyLines(moveGroup1, moveTenant)+movedAssetLines(5))
	w := NewWorker(f.pool, f.idx, quiet(), WorkerConfig{})
	drain(t, w)
	if n := scopeCount(t, f, index.Scope{TenantID: moveTenant, GroupID: moveGroup1}); n != 5 {
		t.Fatalf("group 1 finds %d assets before the move, want 5", n)
	}

	importLines(t, f, hierarchyLines(moveGroup2, moveTenant))
	if n := backlog(t, f.pool); n != 5 {
		t.Fatalf("backlog after the org move = %d, want one row per asset (5)", n)
	}
	drain(t, w)
	if n := scopeCount(t, f, index.Scope{TenantID: moveTenant, GroupID: moveGroup1}); n != 0 {
		t.Errorf("old group still finds %d assets after the move", n)
	}
	if n := scopeCount(t, f, index.Scope{TenantID: moveTenant, GroupID: moveGroup2}); n != 5 {
		t.Errorf("new group finds %d assets, want 5", n)
	}
	assertNoDrift(t, f)

	// Re-importing the same hierarchy moves nothing and bumps nothing.
	importLines(t, f, hierarchyLines(moveGroup2, moveTenant))
	if n := backlog(t, f.pool); n != 0 {
		t.Errorf("backlog after an identical import = %d, want 0", n)
	}
	// A group moved to another tenant re-enqueues the assets of its orgs.
	importLines(t, f, hierarchyLines(moveGroup2, moveTenant2))
	if n := backlog(t, f.pool); n != 5 {
		t.Errorf("backlog after the group move = %d, want 5", n)
	}
}
