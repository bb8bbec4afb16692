package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/openinventory/assets/store"
)

func TestUpdateAssets(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	if _, err := importString(t, pool, hierarchyNDJSON()+
		`{"type":"container_images","id":"`+asset1+`","attributes":{"tenant_id":"`+tenantA+`","org_ids":["`+orgA1+`"],"labels":["a","b"],"tags":{"env":"dev","team":"x"}}}`+"\n"+
		`{"type":"container_images","id":"`+asset2+`","attributes":{"tenant_id":"`+tenantA+`","org_ids":["`+orgA2+`"]}}`+"\n"); err != nil {
		t.Fatal(err)
	}
	tenant := store.Scope{Kind: "tenant", ID: tenantA, TenantID: tenantA}
	rank := int16(1)
	out, err := store.UpdateAssets(ctx, pool, tenant, []store.Patch{{
		ID: asset1, ClassRank: &rank,
		Labels: &store.LabelsPatch{Add: []string{"c", "a"}, Remove: []string{"b"}},
		Tags:   &store.TagsPatch{Add: map[string]string{"env": "prod"}, Remove: []string{"team"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	a := out[0]
	if a.ClassName() != "A" || fmt.Sprint(a.Labels) != "[a c]" || fmt.Sprint(a.Tags) != "map[env:prod]" || a.Version != 2 {
		t.Errorf("after update: class %s labels %v tags %v version %d", a.ClassName(), a.Labels, a.Tags, a.Version)
	}
	out, err = store.UpdateAssets(ctx, pool, tenant, []store.Patch{{ID: asset1,
		Labels: &store.LabelsPatch{Replace: []string{}}, Tags: &store.TagsPatch{Replace: map[string]string{"k": "v"}}}})
	if err != nil || len(out[0].Labels) != 0 || fmt.Sprint(out[0].Tags) != "map[k:v]" {
		t.Errorf("after replace: %v %v (%v)", out[0].Labels, out[0].Tags, err)
	}

	// All or nothing: an asset outside the scope fails the batch, naming it.
	org1 := store.Scope{Kind: "org", ID: orgA1, TenantID: tenantA, GroupID: groupA, OrgID: orgA1}
	_, err = store.UpdateAssets(ctx, pool, org1, []store.Patch{
		{ID: asset1, Labels: &store.LabelsPatch{Add: []string{"z"}}},
		{ID: asset2, Labels: &store.LabelsPatch{Add: []string{"z"}}},
	})
	var pe *store.PatchError
	if !errors.As(err, &pe) || pe.Index != 1 || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err = %v, want PatchError for index 1", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM assets WHERE 'z' = ANY (labels)`); n != 0 {
		t.Errorf("%d assets changed by a failed batch", n)
	}
}

func TestConcurrentLabelAddsLoseNothing(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	if _, err := importString(t, pool, hierarchyNDJSON()+
		`{"type":"container_images","id":"`+asset1+`","attributes":{"tenant_id":"`+tenantA+`"}}`+"\n"); err != nil {
		t.Fatal(err)
	}
	tenant := store.Scope{Kind: "tenant", ID: tenantA, TenantID: tenantA}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := store.UpdateAssets(ctx, pool, tenant, []store.Patch{{ID: asset1,
				Labels: &store.LabelsPatch{Add: []string{fmt.Sprintf("l%02d", i)}}}})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, pool, `SELECT cardinality(labels) FROM assets WHERE id = $1`, asset1); n != 50 {
		t.Errorf("labels = %d, want 50", n)
	}
	if v := count(t, pool, `SELECT version FROM assets WHERE id = $1`, asset1); v != 51 {
		t.Errorf("version = %d, want 51", v)
	}
}

func TestUpdateKeepsLabelAndTagLimits(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	labels, tags := make([]string, 49), map[string]string{}
	for i := range labels {
		labels[i] = fmt.Sprintf("l%02d", i)
	}
	for i := 0; i < 100; i++ {
		tags[fmt.Sprintf("k%03d", i)] = "v"
	}
	tenant := store.Scope{Kind: "tenant", ID: tenantA, TenantID: tenantA}
	if _, err := importString(t, pool, hierarchyNDJSON()+
		`{"type":"container_images","id":"`+asset1+`","attributes":{"tenant_id":"`+tenantA+`"}}`+"\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.UpdateAssets(ctx, pool, tenant, []store.Patch{{ID: asset1,
		Labels: &store.LabelsPatch{Replace: labels}, Tags: &store.TagsPatch{Replace: tags}}}); err != nil {
		t.Fatal(err)
	}
	// One more label is fine (50); two more is not, and changes nothing.
	if _, err := store.UpdateAssets(ctx, pool, tenant, []store.Patch{{ID: asset1, Labels: &store.LabelsPatch{Add: []string{"x"}}}}); err != nil {
		t.Fatalf("50th label: %v", err)
	}
	_, err := store.UpdateAssets(ctx, pool, tenant, []store.Patch{{ID: asset1, Labels: &store.LabelsPatch{Add: []string{"y"}}}})
	if !errors.Is(err, store.ErrTooManyLabels) {
		t.Errorf("51st label: err = %v, want ErrTooManyLabels", err)
	}
	_, err = store.UpdateAssets(ctx, pool, tenant, []store.Patch{{ID: asset1, Tags: &store.TagsPatch{Add: map[string]string{"extra": "v"}}}})
	if !errors.Is(err, store.ErrTooManyTags) {
		t.Errorf("101st tag: err = %v, want ErrTooManyTags", err)
	}
	// In a batch, the error names the patch that crossed the limit.
	if _, err := importString(t, pool, `{"type":"container_images","id":"`+asset2+`","attributes":{"tenant_id":"`+tenantA+`"}}`+"\n"); err != nil {
		t.Fatal(err)
	}
	err = store.ApplyPatches(ctx, pool, tenant, []store.Patch{
		{ID: asset2, Labels: &store.LabelsPatch{Add: []string{"fine"}}},
		{ID: asset1, Labels: &store.LabelsPatch{Add: []string{"y"}}},
	})
	var pe *store.PatchError
	if !errors.As(err, &pe) || pe.Index != 1 || !errors.Is(err, store.ErrTooManyLabels) {
		t.Errorf("batch over the limit: err = %v, want patch 1 with ErrTooManyLabels", err)
	}
	if n := count(t, pool, `SELECT cardinality(labels) FROM assets WHERE id = $1`, asset2); n != 0 {
		t.Errorf("the failed batch changed asset 2: %d labels", n)
	}
	if n := count(t, pool, `SELECT cardinality(labels) + jsonb_object_length(tags) FROM assets WHERE id = $1`, asset1); n != 150 {
		t.Errorf("labels + tags = %d, want 150", n)
	}
}

func TestUpdateRejectsTheSameAssetTwice(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	if _, err := importString(t, pool, hierarchyNDJSON()+
		`{"type":"container_images","id":"`+asset1+`","attributes":{"tenant_id":"`+tenantA+`"}}`+"\n"); err != nil {
		t.Fatal(err)
	}
	tenant := store.Scope{Kind: "tenant", ID: tenantA, TenantID: tenantA}
	err := store.ApplyPatches(context.Background(), pool, tenant, []store.Patch{
		{ID: asset1, Labels: &store.LabelsPatch{Add: []string{"a"}}},
		{ID: asset1, Labels: &store.LabelsPatch{Add: []string{"b"}}},
	})
	var pe *store.PatchError
	if !errors.As(err, &pe) || pe.Index != 1 || !errors.Is(err, store.ErrDuplicatePatch) {
		t.Fatalf("err = %v, want patch 1 with ErrDuplicatePatch", err)
	}
	if n := count(t, pool, `SELECT version FROM assets WHERE id = $1`, asset1); n != 1 {
		t.Errorf("version = %d, want 1 (nothing applied)", n)
	}
}
