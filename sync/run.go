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
// what they synced and the outbox backlog every ProgressIntervalDefault.
// The first worker error stops the others and is returned; a panic in a
// worker is raised again here once the others have stopped.
func RunWorkers(ctx context.Context, pool *pgxpool.Pool, idx *index.Client, log *slog.Logger, cfg WorkerConfig, n int) error {
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
		logProgress(ctx, pool, log, ws)
		return nil
	})
	return p.Wait()
}

// logProgress logs the rows ws synced and the backlog until ctx ends.
func logProgress(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, ws []*Worker) {
	tick := time.NewTicker(ProgressIntervalDefault)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var synced int64
		for _, w := range ws {
			synced += w.Synced()
		}
		backlog, age, err := store.Backlog(ctx, pool)
		if err == nil {
			log.Info("sync", "synced", synced, "backlog", backlog, "oldest", age.Round(time.Millisecond))
		}
	}
}
