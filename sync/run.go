package sync

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	conc "github.com/sourcegraph/conc/pool"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// RunWorkers runs n workers (at least one) on cfg until ctx ends, logging
// their progress every ProgressIntervalDefault (see progressLine).
// The first worker error stops the others and is returned; a panic in a
// worker is raised again here once the others have stopped.
func RunWorkers(ctx context.Context, pool *pgxpool.Pool, idx *index.Client, log *slog.Logger, cfg WorkerConfig, n int) error {
	return runWorkers(ctx, pool, idx, log, cfg, n, ProgressIntervalDefault)
}

// runWorkers is RunWorkers logging progress every interval.
func runWorkers(ctx context.Context, pool *pgxpool.Pool, idx *index.Client, log *slog.Logger, cfg WorkerConfig, n int, every time.Duration) error {
	ws := make([]*Worker, max(n, 1))
	for i := range ws {
		ws[i] = NewWorker(pool, idx, log, cfg)
	}
	// Workers return only when ctx ends or on error, which cancels the
	// pool's context: the progress logger stops with them.
	p := conc.New().WithContext(ctx).WithCancelOnError().WithFirstError()
	for _, w := range ws {
		p.Go(w.Run)
	}
	log.Info("sync worker running", "workers", len(ws), "index", idx.Alias())
	p.Go(func(ctx context.Context) error {
		logProgress(ctx, pool, log, ws, every)
		return nil
	})
	return p.Wait()
}

// logProgress logs what ws synced and the backlog every interval until ctx
// ends.
func logProgress(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, ws []*Worker, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var line progressLine
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var total int64
		for _, w := range ws {
			total += w.Synced()
		}
		backlog, age, err := store.Backlog(ctx, pool)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("sync progress: reading the outbox backlog", "err", err)
			}
			continue
		}
		line.log(ctx, log, total, backlog, age)
	}
}
