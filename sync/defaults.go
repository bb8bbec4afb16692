package sync

import "time"

// Defaults of the worker, RunWorkers and Reindex: what a zero config value
// takes, and what the command-line flags start from.
const (
	// BatchSizeDefault is the number of outbox rows a worker claims at once.
	BatchSizeDefault = 500
	// PollIntervalDefault is how long an idle worker sleeps when no
	// NOTIFY wakes it.
	PollIntervalDefault = time.Second
	// MaxBackoffDefault caps the retry delay while Elasticsearch or
	// PostgreSQL fail, so the backlog drains soon after they return.
	MaxBackoffDefault = 5 * time.Second
	// MinBackoffDefault is the first retry delay after a failed batch; it
	// doubles on every further failure up to the max backoff.
	MinBackoffDefault = 100 * time.Millisecond
	// WorkersDefault is the number of workers in one process.
	WorkersDefault = 1
	// ProgressIntervalDefault is how often RunWorkers logs its progress.
	ProgressIntervalDefault = 10 * time.Second

	// PageSizeDefault is the number of assets per PostgreSQL page of a
	// reindex.
	PageSizeDefault = 2000
	// ReadersDefault is the number of concurrent PostgreSQL readers (over
	// disjoint id ranges) of a reindex.
	ReadersDefault = 2
	// BulkWorkersDefault is the number of concurrent _bulk requests of a
	// reindex.
	BulkWorkersDefault = 2
	// KeepDefault is the number of previous indexes the reindex command
	// keeps after the swap (a zero ReindexConfig.Keep keeps none).
	KeepDefault = 1
)

// OrphanGraceDefault is how old an index that never served the alias (the
// leftover of a failed reindex) must be before a reindex's pruning deletes
// it: a running reindex registers its new index well within this.
const OrphanGraceDefault = 15 * time.Minute

// BatchTimeoutDefault bounds one sync batch, claim to commit (the _bulk
// request included); on expiry the batch rolls back and is retried.
const BatchTimeoutDefault = 30 * time.Second
