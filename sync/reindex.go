package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	conc "github.com/sourcegraph/conc/pool"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// ReindexConfig tunes a reindex; zero values take the defaults.
type ReindexConfig struct {
	Keep        int // previous indexes to keep after the swap (0 keeps none)
	PageSize    int // assets per PostgreSQL page; default PageSizeDefault
	Readers     int // concurrent PostgreSQL readers over id ranges; default ReadersDefault
	BulkWorkers int // concurrent _bulk requests; default BulkWorkersDefault
	// BulkRetries: resends of documents Elasticsearch rejected for load
	// (429) before the reindex fails; default index.BulkRetriesDefault.
	BulkRetries int
	// OrphanGrace: an index that never served the alias and is not a
	// registered target is deleted once older than this (younger ones may
	// belong to a reindex between its create and its registration); default
	// OrphanGraceDefault.
	OrphanGrace time.Duration
	// Progress, when set, is called with the number of documents queued so
	// far and the total expected: first with (0, total) before the first
	// page is read, then after every page.
	Progress func(done, total int64)
}

// ReindexResult tells what a reindex did.
type ReindexResult struct {
	Index string
	// Settings are the shape the new index was created with: the index
	// client's (ASSETS_INDEX_SHARDS, ASSETS_INDEX_REPLICAS), whatever the
	// previous index had, so a reindex is how a new shape takes effect.
	Settings index.IndexSettings
	Previous []string
	Deleted  []string
	Docs     uint64
	Duration time.Duration
}

// Reindex builds a new index from PostgreSQL and swaps the alias to it with
// no downtime. The new index is registered as a sync target before the
// first page is read, so every change committed after that reaches it
// through the worker, and every change committed before is in the pages
// (read after registration). External versions make the order of the two
// irrelevant.
func Reindex(ctx context.Context, pool *pgxpool.Pool, idx *index.Client, log *slog.Logger, cfg ReindexConfig) (ReindexResult, error) {
	cfg = cfg.withDefaults()
	start := time.Now()
	if err := idx.EnsureIndex(ctx); err != nil {
		return ReindexResult{}, err
	}
	name := idx.NewIndexName()
	res := ReindexResult{Index: name, Settings: idx.Settings}
	// Every failure from here on removes what this run created: a leftover
	// would otherwise linger and, before served_indexes, pass for a
	// previous index.
	abandon := func(cause error) (ReindexResult, error) {
		abandonIndex(context.WithoutCancel(ctx), pool, idx, log, name)
		return res, cause
	}
	if err := idx.CreateIndex(ctx, name); err != nil {
		return abandon(err) // the create may have happened without its answer
	}
	log.Info("created the new index", "index", name, "shards", idx.Settings.Shards, "replicas", idx.Settings.Replicas)
	if err := store.AddIndexTarget(ctx, pool, name); err != nil {
		return abandon(err)
	}
	docs, err := build(ctx, pool, idx, name, cfg)
	if err != nil {
		return abandon(err)
	}
	res.Docs = docs
	prev, err := idx.SwapAlias(ctx, name)
	if err != nil {
		return abandon(err)
	}
	res.Previous = prev
	if err := store.MarkServed(ctx, pool, append([]string{name}, prev...)...); err != nil {
		return res, err
	}
	// The alias now points at the new index, so the worker reaches it that
	// way; until this commits it also writes it as a target (harmless).
	if err := store.RemoveIndexTarget(ctx, pool, name); err != nil {
		return res, err
	}
	res.Deleted, err = prune(ctx, pool, idx, name, cfg)
	res.Duration = time.Since(start)
	return res, err
}

func (cfg ReindexConfig) withDefaults() ReindexConfig {
	if cfg.Keep < 0 {
		cfg.Keep = 0
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = PageSizeDefault
	}
	if cfg.Readers <= 0 {
		cfg.Readers = ReadersDefault
	}
	if cfg.BulkWorkers <= 0 {
		cfg.BulkWorkers = BulkWorkersDefault
	}
	if cfg.OrphanGrace <= 0 {
		cfg.OrphanGrace = OrphanGraceDefault
	}
	return cfg
}

// build streams every asset into the new index and refreshes it; it
// returns the number of documents written.
func build(ctx context.Context, pool *pgxpool.Pool, idx *index.Client, name string, cfg ReindexConfig) (uint64, error) {
	var total int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM assets`).Scan(&total); err != nil {
		return 0, fmt.Errorf("counting assets: %w", err)
	}
	loader, err := idx.NewBulkLoader(ctx, index.BulkLoaderConfig{Index: name, Workers: cfg.BulkWorkers, Retries: cfg.BulkRetries})
	if err != nil {
		return 0, err
	}
	if err := load(ctx, pool, loader, cfg, total); err != nil {
		_, _ = loader.Close(context.WithoutCancel(ctx))
		return 0, err
	}
	stats, err := loader.Close(ctx)
	if err != nil {
		return 0, err
	}
	if stats.Failed > 0 {
		return 0, fmt.Errorf("%d documents failed, the first: %v", stats.Failed, stats.Failures[0].Err)
	}
	if err := idx.Refresh(ctx, name); err != nil {
		return 0, err
	}
	return stats.Indexed + stats.Conflicts, nil
}

// abandonIndex unregisters and deletes the index of a failed reindex,
// unless the alias points at it (a swap whose answer was lost): deleting
// that one would take the alias down, so it is recorded as served instead.
func abandonIndex(ctx context.Context, pool *pgxpool.Pool, idx *index.Client, log *slog.Logger, name string) {
	if err := store.RemoveIndexTarget(ctx, pool, name); err != nil {
		log.Error("could not unregister the abandoned index", "index", name, "err", err)
	}
	aliased, err := idx.AliasIndexes(ctx)
	if err != nil {
		log.Error("could not check the alias; keeping the abandoned index", "index", name, "err", err)
		return
	}
	if slices.Contains(aliased, name) {
		log.Warn("the alias points at the abandoned index; keeping it", "index", name)
		if err := store.MarkServed(ctx, pool, name); err != nil {
			log.Error("could not record the served index", "index", name, "err", err)
		}
		return
	}
	var re *index.ResponseError
	if err := idx.DeleteIndex(ctx, name); err != nil && !(errors.As(err, &re) && re.Status == http.StatusNotFound) {
		log.Error("could not delete the abandoned index", "index", name, "err", err)
	}
}

// load streams every asset into the loader, cfg.Readers keyset scans over
// disjoint id ranges at once. The first error cancels the other readers
// and is returned; a panic in a reader is raised again here.
func load(ctx context.Context, pool *pgxpool.Pool, loader *index.BulkLoader, cfg ReindexConfig, total int64) error {
	bounds := idRanges(cfg.Readers)
	readers := conc.New().WithContext(ctx).WithCancelOnError().WithFirstError().WithMaxGoroutines(len(bounds) - 1)
	var done countingProgress
	done.total, done.fn = total, cfg.Progress
	done.begin()
	for i := 0; i < len(bounds)-1; i++ {
		lo, hi := bounds[i], bounds[i+1]
		readers.Go(func(ctx context.Context) error {
			after := lo
			for {
				page, err := store.AssetPageRange(ctx, pool, after, hi, cfg.PageSize)
				if err != nil {
					return err
				}
				for _, a := range page {
					doc := index.Project(a)
					if err := loader.Add(ctx, &doc); err != nil {
						return err
					}
				}
				done.add(int64(len(page)))
				if len(page) < cfg.PageSize {
					return nil
				}
				after = page[len(page)-1].ID
			}
		})
	}
	return readers.Wait()
}

// idRanges splits the UUID space into n ranges: bounds[i] < id <= bounds[i+1]
// ("" is below every id).
func idRanges(n int) []string {
	bounds := []string{""}
	for i := 1; i < n; i++ {
		v := uint32(uint64(i) * (1 << 32) / uint64(n))
		bounds = append(bounds, fmt.Sprintf("%08x-ffff-ffff-ffff-ffffffffffff", v-1))
	}
	return append(bounds, "ffffffff-ffff-ffff-ffff-ffffffffffff")
}
