package sync

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/openinventory/assets/index"
)

func indexNames(t *testing.T, c *index.Client) []string {
	t.Helper()
	infos, err := c.Indexes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(infos))
	for i, in := range infos {
		names[i] = in.Name
	}
	return names
}

// A leftover of a failed reindex never served the alias: --keep 1 keeps
// the index the alias really pointed at, not the leftover; an old enough
// leftover is deleted.
func TestPruneKeepsOnlyServedIndexes(t *testing.T) {
	t.Parallel()
	f := setup(t, 20)
	ctx := context.Background()
	drain(t, NewWorker(f.pool, f.idx, quiet(), WorkerConfig{}))
	first, err := Reindex(ctx, f.pool, f.idx, quiet(), ReindexConfig{Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	orphan := f.idx.NewIndexName()
	if err := f.idx.CreateIndex(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	second, err := Reindex(ctx, f.pool, f.idx, quiet(), ReindexConfig{Keep: 1, OrphanGrace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	names := indexNames(t, f.idx)
	if !slices.Contains(names, first.Index) {
		t.Errorf("the previous served index %s was deleted; left: %v (deleted %v)", first.Index, names, second.Deleted)
	}
	if !slices.Equal(second.Deleted, []string{f.idx.InitialIndex()}) {
		t.Errorf("deleted %v, want only the initial index", second.Deleted)
	}
	if !slices.Contains(names, orphan) {
		t.Errorf("a young leftover was deleted within its grace: %v", names)
	}
	third, err := Reindex(ctx, f.pool, f.idx, quiet(), ReindexConfig{Keep: 1, OrphanGrace: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(indexNames(t, f.idx), []string{second.Index, third.Index}) {
		t.Errorf("after the third reindex: %v, want [%s %s] (deleted %v)", indexNames(t, f.idx), second.Index, third.Index, third.Deleted)
	}
	assertNoDrift(t, f)
}

// A reindex that fails after creating its index removes it.
func TestFailedReindexRemovesItsIndex(t *testing.T) {
	t.Parallel()
	f := setup(t, 20)
	ctx := context.Background()
	before := indexNames(t, f.idx)
	if _, err := f.pool.Exec(ctx, `ALTER TABLE index_targets RENAME TO index_targets_away`); err != nil {
		t.Fatal(err)
	}
	if _, err := Reindex(ctx, f.pool, f.idx, quiet(), ReindexConfig{}); err == nil {
		t.Fatal("reindex without index_targets: no error")
	}
	if after := indexNames(t, f.idx); !slices.Equal(after, before) {
		t.Errorf("indexes before %v, after the failed reindex %v", before, after)
	}
}

// Two deployments share the cluster, one prefix beginning the other: a
// reindex of x with --keep 0 leaves x-staging's indexes alone.
func TestReindexLeavesANeighbourDeploymentAlone(t *testing.T) {
	t.Parallel()
	f := setup(t, 20)
	ctx := context.Background()
	staging := index.New(f.es, f.idx.Alias()+"-staging")
	if err := staging.EnsureIndex(ctx); err != nil {
		t.Fatal(err)
	}
	next := staging.NewIndexName()
	if err := staging.CreateIndex(ctx, next); err != nil {
		t.Fatal(err)
	}
	if _, err := staging.SwapAlias(ctx, next); err != nil {
		t.Fatal(err)
	}
	res, err := Reindex(ctx, f.pool, f.idx, quiet(), ReindexConfig{Keep: 0, OrphanGrace: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{staging.InitialIndex(), next}; !slices.Equal(indexNames(t, staging), want) {
		t.Errorf("staging's indexes after x's reindex: %v, want %v (x deleted %v)", indexNames(t, staging), want, res.Deleted)
	}
	if got := indexNames(t, f.idx); !slices.Equal(got, []string{res.Index}) {
		t.Errorf("x's indexes: %v, want only %s", got, res.Index)
	}
}
