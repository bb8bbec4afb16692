package api

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// Defaults of the reaper of expired searches.
const (
	// SearchReapIntervalDefault is how often expired searches are reaped.
	SearchReapIntervalDefault = time.Minute
	// SearchReapBatchDefault is how many expired searches one transaction
	// reaps (each needs a close request to Elasticsearch).
	SearchReapBatchDefault = 100
)

// ReapSearches closes the points in time of expired stored searches and then
// deletes them, batch by batch, until none is left or a batch fails (the
// failed batch stays, to be reaped on the next call). It returns how many
// were deleted.
func ReapSearches(ctx context.Context, pool store.TxBeginner, idx *index.Client, batch int) (int, error) {
	if batch <= 0 {
		batch = SearchReapBatchDefault
	}
	total := 0
	for {
		n, err := store.ReapExpiredSearches(ctx, pool, batch, idx.ClosePIT)
		total += n
		if err != nil {
			return total, fmt.Errorf("reaping expired searches: %w", err)
		}
		if n < batch {
			return total, nil
		}
	}
}

// RunSearchReaper reaps expired searches every interval until ctx ends;
// failures are logged and retried on the next tick.
func RunSearchReaper(ctx context.Context, pool store.TxBeginner, idx *index.Client, logger *slog.Logger, interval time.Duration) error {
	if interval <= 0 {
		interval = SearchReapIntervalDefault
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if n, err := ReapSearches(ctx, pool, idx, SearchReapBatchDefault); err != nil {
				logger.WarnContext(ctx, "reaping expired searches", "deleted", n, "error", err)
			} else if n > 0 {
				logger.DebugContext(ctx, "reaped expired searches", "count", n)
			}
		}
	}
}
