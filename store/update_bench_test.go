package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/store"
)

// BenchmarkUpdateAssets100 is one bulk PATCH of 100 assets (labels add).
func BenchmarkUpdateAssets100(b *testing.B) {
	pool := testenvPostgres(b)
	ctx := context.Background()
	gen, err := seed.New(seed.Options{Assets: 2000, Tenants: 1, Groups: 1, Orgs: 2, Seed: 9})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.Import(ctx, pool, gen); err != nil {
		b.Fatal(err)
	}
	tenant := gen.Summary().Tenants[0]
	rows, err := pool.Query(ctx, `SELECT id::text FROM assets ORDER BY id`)
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	s := store.Scope{Kind: store.ScopeTenant, ID: tenant, TenantID: tenant}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		patches := make([]store.Patch, 100)
		for j := range patches {
			patches[j] = store.Patch{ID: ids[(i*100+j*7)%len(ids)], Labels: &store.LabelsPatch{Add: []string{fmt.Sprintf("b%d", i%40)}}}
		}
		if err := store.ApplyPatches(ctx, pool, s, patches); err != nil {
			b.Fatal(err)
		}
	}
}
