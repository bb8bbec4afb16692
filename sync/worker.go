// Package sync keeps Elasticsearch in step with PostgreSQL: the outbox
// worker, the zero-downtime reindex, and verify.
package sync

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// WorkerConfig tunes a Worker; zero values take the defaults.
type WorkerConfig struct {
	BatchSize    int           // outbox rows per claim; default BatchSizeDefault
	PollInterval time.Duration // wake-up without a notification; default PollIntervalDefault
	// MaxBackoff caps the retry delay while Elasticsearch or PostgreSQL
	// fail; default MaxBackoffDefault.
	MaxBackoff time.Duration
	// BatchTimeout bounds one batch, claim to commit: the claimed rows stay
	// locked in an open transaction while Elasticsearch answers, so a hung
	// Elasticsearch must not hold them (and a connection) forever; default
	// BatchTimeoutDefault.
	BatchTimeout time.Duration
	// Observe, when set, is told the lag (outbox row written -> acknowledged
	// by Elasticsearch) of every row the worker removes.
	Observe func(lag time.Duration)
}

// Worker moves outbox rows into Elasticsearch. Several may run at once
// (in one process or many): claims use FOR UPDATE SKIP LOCKED.
type Worker struct {
	pool   *pgxpool.Pool
	idx    *index.Client
	log    *slog.Logger
	cfg    WorkerConfig
	synced atomic.Int64

	// Test seams: called after the claim (rows loaded, nothing written yet)
	// and after the Elasticsearch write; an error aborts the batch as a
	// crash at that point would.
	afterClaim func() error
	afterWrite func() error
}

// NewWorker returns a worker writing to idx's alias (and to any index a
// reindex registered).
func NewWorker(pool *pgxpool.Pool, idx *index.Client, log *slog.Logger, cfg WorkerConfig) *Worker {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = BatchSizeDefault
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = PollIntervalDefault
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = MaxBackoffDefault
	}
	if cfg.BatchTimeout <= 0 {
		cfg.BatchTimeout = BatchTimeoutDefault
	}
	return &Worker{pool: pool, idx: idx, log: log, cfg: cfg}
}

// Synced is the number of outbox rows this worker acknowledged.
func (w *Worker) Synced() int64 { return w.synced.Load() }

// Run processes batches until ctx ends. It drains the outbox, then sleeps
// until a NOTIFY or the poll interval; while Elasticsearch or PostgreSQL
// fail it retries with capped exponential backoff.
func (w *Worker) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	go w.listen(ctx, wake)
	backoff := time.Duration(0)
	for {
		n, err := w.ProcessBatch(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			backoff = min(max(2*backoff, MinBackoffDefault), w.cfg.MaxBackoff)
			w.log.Warn("sync batch failed; retrying", "err", err, "in", backoff)
			if !sleep(ctx, backoff) {
				return nil
			}
			continue
		}
		backoff = 0
		if n >= w.cfg.BatchSize {
			continue // more is waiting
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-time.After(w.cfg.PollInterval):
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// listen turns NOTIFYs on the outbox channel into wake-ups. Losing the
// connection only costs latency: the poll interval still wakes the worker.
func (w *Worker) listen(ctx context.Context, wake chan<- struct{}) {
	store.Listen(ctx, w.pool, w.log, store.OutboxChannel, func(ev store.ListenEvent) {
		if ev != store.Notified {
			return
		}
		select {
		case wake <- struct{}{}:
		default:
		}
	})
}

// ProcessBatch claims one batch, writes it and removes the rows that
// Elasticsearch acknowledged, all in one transaction: the rows are removed
// only if the commit follows the acknowledged write, so a crash anywhere
// repeats work and loses nothing. It returns how many rows it claimed.
// The batch ends at the worker's BatchTimeout: a hung Elasticsearch then
// fails the batch, whose transaction rolls back and frees its rows.
func (w *Worker) ProcessBatch(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.BatchTimeout)
	defer cancel()
	tx, err := w.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("starting sync transaction: %w", err)
	}
	defer tx.Rollback(context.Background())
	rows, err := store.ClaimOutbox(ctx, tx, w.cfg.BatchSize)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	// Read the targets after the claim: a reindex that registered its index
	// before the claimed changes committed is then always seen.
	targets, err := store.IndexTargets(ctx, tx)
	if err != nil {
		return 0, err
	}
	targets = append([]string{w.idx.Alias()}, targets...)

	items, err := w.items(ctx, tx, rows)
	if err != nil {
		return 0, err
	}
	if w.afterClaim != nil {
		if err := w.afterClaim(); err != nil {
			return 0, err
		}
	}
	results, err := w.idx.Write(ctx, targets, items)
	if err != nil {
		return 0, err
	}
	if w.afterWrite != nil {
		if err := w.afterWrite(); err != nil {
			return 0, err
		}
	}
	failed := map[string]error{}
	stale := 0
	for _, r := range results {
		if r.Err != nil {
			failed[r.ID] = r.Err
		} else if r.Stale {
			stale++
		}
	}
	if stale > 0 {
		// Another worker, or a replay, wrote these versions or newer
		// first; external versions kept the newest, as designed.
		w.log.Info("Elasticsearch already had these versions or newer (benign version conflicts)", "documents", stale)
	}
	acked := make([]int64, 0, len(rows))
	var retry []int64
	for _, r := range rows {
		if failed[r.AssetID] == nil {
			acked = append(acked, r.ID)
		} else {
			retry = append(retry, r.ID)
		}
	}
	for id, err := range failed {
		w.log.Error("Elasticsearch rejected a document; its outbox rows stay for a retry", "asset", id, "err", err)
	}
	if err := store.DeleteOutbox(ctx, tx, acked); err != nil {
		return 0, err
	}
	if err := store.RetryOutbox(ctx, tx, retry); err != nil {
		return 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("committing sync batch: %w", err)
	}
	w.synced.Add(int64(len(acked)))
	if w.cfg.Observe != nil {
		now := time.Now()
		for _, r := range rows {
			if failed[r.AssetID] == nil {
				w.cfg.Observe(now.Sub(r.CreatedAt))
			}
		}
	}
	return len(rows), nil
}

// items turns claimed rows into writes of each asset's current state. An
// asset that is gone is deleted with the version of its tombstone row; one
// that is gone without a tombstone in this batch is left to that row.
func (w *Worker) items(ctx context.Context, tx pgx.Tx, rows []store.OutboxRow) ([]index.WriteItem, error) {
	tombstone := map[string]int64{}
	ids := make([]string, 0, len(rows))
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Deleted && r.Version > tombstone[r.AssetID] {
			tombstone[r.AssetID] = r.Version
		}
		if !seen[r.AssetID] {
			seen[r.AssetID] = true
			ids = append(ids, r.AssetID)
		}
	}
	assets, err := store.AssetsByID(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	items := make([]index.WriteItem, 0, len(ids))
	found := map[string]bool{}
	for _, a := range assets {
		found[a.ID] = true
		doc := index.Project(a)
		items = append(items, index.WriteItem{ID: a.ID, Version: a.Version, Doc: &doc})
	}
	for _, id := range ids {
		if v, ok := tombstone[id]; ok && !found[id] {
			items = append(items, index.WriteItem{ID: id, Version: v})
		}
	}
	return items, nil
}
