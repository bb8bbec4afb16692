package store_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/openinventory/assets/store"
)

// BenchmarkImportProjectSnapshots100k imports 100,000 project snapshots
// (20,000 assets, five snapshots each over two target files) into a
// database that holds the assets, per iteration: staging, checks, upsert
// and the derivation of every asset's counts.
func BenchmarkImportProjectSnapshots100k(b *testing.B) {
	pool := testenvPostgres(b)
	ctx := context.Background()
	const assets, perAsset = 20_000, 5
	var hier bytes.Buffer
	hier.WriteString(hierarchyNDJSON())
	var snaps bytes.Buffer
	day := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := range assets {
		a := fmt.Sprintf("aaaaaaaa-0000-4000-8000-%012d", i)
		hier.WriteString(assetNDJSON(a, tenantA, orgA1))
		for j := range perAsset {
			p := store.Project{ID: fmt.Sprintf("cccccccc-0000-4000-8000-%012d", i*perAsset+j), AssetID: a, OrgID: orgA1,
				TargetFile: []string{"Dockerfile", "go.mod"}[j%2], SnapshotCreatedAt: day.Add(time.Duration(j) * time.Hour),
				Issues: store.IssueCounts{High: int32(j), Low: int32(i % 50)}}
			if err := store.WriteNDJSON(&snaps, store.Record{Project: &p}); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := store.Import(ctx, pool, store.NewNDJSONReader(bytes.NewReader(hier.Bytes()))); err != nil {
		b.Fatal(err)
	}
	data := snaps.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := pool.Exec(ctx, `DELETE FROM projects`); err != nil {
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
