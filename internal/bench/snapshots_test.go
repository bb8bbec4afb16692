package bench

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openinventory/assets/store"
)

func TestNewSnapshots(t *testing.T) {
	t.Parallel()
	bases := []baseProject{{AssetID: "a", TargetFile: "Dockerfile"}, {AssetID: "b", TargetFile: "go.mod"}}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	got := newSnapshots(bases, 5, now)
	seen := map[string]bool{}
	for i, p := range got {
		b := bases[i%2]
		if p.AssetID != b.AssetID || p.TargetFile != b.TargetFile {
			t.Errorf("snapshot %d is on %s/%s, want %s/%s", i, p.AssetID, p.TargetFile, b.AssetID, b.TargetFile)
		}
		if want := now.Add(time.Duration(i/2) * time.Second); !p.SnapshotCreatedAt.Equal(want) {
			t.Errorf("snapshot %d taken at %v, want %v (later each round, so the newest is canonical)", i, p.SnapshotCreatedAt, want)
		}
		if seen[p.ID] || seen[p.SnapshotID] {
			t.Errorf("snapshot %d repeats an id", i)
		}
		seen[p.ID], seen[p.SnapshotID] = true, true
	}
}

func TestSnapshotRows(t *testing.T) {
	t.Parallel()
	r := &Report{Snapshots: &SnapshotImport{Snapshots: 100000, Assets: 20000, ImportSeconds: 8, PerSecond: 12500, OutboxRows: 20000,
		DrainSeconds: 2.5, RemoveSeconds: 4, RemoveOutboxRows: 20000, RemoveDrainSeconds: 2, Unchanged: true,
		DuringImport: &Stats{N: 300, P50: 4, P99: 40}}}
	md := strings.Join(strings.Fields(r.Markdown()), " ")
	for _, want := range []string{"assets import of 100,000 project snapshots (20,000 assets) | 12,500 snapshots/s (8.0 s)",
		"20,000 outbox rows drained after the import | 2.5 s", "4.00 / 40.0 ms (300 requests, 0 failed)", "data set unchanged after the removal | yes"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
}

// TestMeasureSnapshots runs the snapshot step with the real assets
// binary against a small seeded data set and a sync worker: the
// snapshots are imported, their outbox rows drained, and the data set
// reads exactly as before afterwards.
func TestMeasureSnapshots(t *testing.T) {
	t.Parallel()
	r := newIndexedRunner(t, 2000)
	r.cfg.Binary = filepath.Join(t.TempDir(), "assets")
	if out, err := exec.Command("go", "build", "-o", r.cfg.Binary, "github.com/openinventory/assets/cmd/assets").CombinedOutput(); err != nil {
		t.Fatalf("building assets: %v\n%s", err, out)
	}
	ctx := context.Background()
	var projects0 int64
	if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM projects`).Scan(&projects0); err != nil {
		t.Fatal(err)
	}
	r.cfg.Snapshots = 3000
	if err := r.measureSnapshots(ctx); err != nil {
		t.Fatal(err)
	}
	x := r.rep.Snapshots
	if x == nil || x.Snapshots != 3000 || x.Assets == 0 || x.PerSecond <= 0 || !x.Unchanged {
		t.Fatalf("figures %+v", x)
	}
	// Every chosen asset's counts were derived anew on import and on removal.
	if x.OutboxRows < int64(x.Assets)/2 || x.RemoveOutboxRows < int64(x.Assets)/2 {
		t.Errorf("outbox rows: %d on import, %d on removal, for %d assets", x.OutboxRows, x.RemoveOutboxRows, x.Assets)
	}
	if d := x.DuringImport; d == nil || d.N == 0 || d.Errors > 0 {
		t.Errorf("relationships during the import: %+v", d)
	}
	var projects1 int64
	if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM projects`).Scan(&projects1); err != nil {
		t.Fatal(err)
	}
	if n, _, err := store.Backlog(ctx, r.pool); err != nil || n != 0 || projects1 != projects0 {
		t.Errorf("afterwards: %d projects (before %d), outbox %d (%v)", projects1, projects0, n, err)
	}
	t.Logf("%+v", *x)
}
