package store_test

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/openinventory/assets/store"
)

// BenchmarkImport20k imports 20,000 seeded assets into an empty database, as
// `assets import` does (parallel parsing), per iteration.
func BenchmarkImport20k(b *testing.B) {
	pool := testenvPostgres(b)
	ctx := context.Background()
	data := seededNDJSON(b, 20000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := pool.Exec(ctx, `TRUNCATE assets, asset_orgs, asset_outbox, orgs, groups, tenants CASCADE`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		src := store.NewParallelNDJSONReader(bytes.NewReader(data), runtime.GOMAXPROCS(0))
		if _, err := store.Import(ctx, pool, src); err != nil {
			b.Fatal(err)
		}
		src.Close()
	}
}
