package store_test

import (
	"context"
	"testing"

	"github.com/openinventory/assets/store"
)

func TestHasAssets(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	if has, err := store.HasAssets(ctx, pool); err != nil || has {
		t.Fatalf("empty database: HasAssets = %v, %v", has, err)
	}
	if _, err := importString(t, pool, hierarchyNDJSON()+oneLine(fullAsset)); err != nil {
		t.Fatal(err)
	}
	if has, err := store.HasAssets(ctx, pool); err != nil || !has {
		t.Fatalf("after an import: HasAssets = %v, %v", has, err)
	}
}
