package index

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/openinventory/assets/internal/testenv"
)

func TestIndexLifecycle(t *testing.T) {
	t.Parallel()
	es, prefix := testenv.Elasticsearch(t)
	c := New(es, prefix)
	ctx := context.Background()
	if err := c.Healthy(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = c.EnsureIndex(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	idx, err := c.Indexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) != 1 || !idx[0].Aliased {
		t.Fatalf("after EnsureIndex: %+v", idx)
	}
	assets, _ := synthAssets(5, 11)
	loadAssets(t, c, assets)

	next := c.NewIndexName()
	if err := c.CreateIndex(ctx, next); err != nil {
		t.Fatal(err)
	}
	prev, err := c.SwapAlias(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(prev, []string{idx[0].Name}) {
		t.Errorf("previous = %v", prev)
	}
	if err := c.EnsureIndex(ctx); err != nil {
		t.Fatal(err)
	}
	idx, err = c.Indexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) != 2 || idx[0].Aliased || idx[0].Docs != 5 || !idx[1].Aliased || idx[1].Name != next {
		t.Fatalf("after swap: %+v", idx)
	}
	if n, err := c.Count(ctx, Scope{TenantID: assets[0].TenantID}); err != nil || n != 0 {
		t.Errorf("count through the swapped alias = %d, %v", n, err)
	}
	if err := c.DeleteIndex(ctx, c.Alias()); err == nil {
		t.Error("deleting the alias name: no error")
	}
	if err := c.DeleteIndex(ctx, idx[0].Name); err != nil {
		t.Fatal(err)
	}
	if idx, _ = c.Indexes(ctx); len(idx) != 1 {
		t.Errorf("after delete: %+v", idx)
	}
}
