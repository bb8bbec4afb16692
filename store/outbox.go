package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// OutboxChannel is the LISTEN/NOTIFY channel the outbox triggers notify.
const OutboxChannel = "asset_outbox"

// OutboxRow is one pending change: make version of asset visible (or delete
// it when Deleted).
type OutboxRow struct {
	ID        int64
	AssetID   string
	TenantID  string
	Version   int64
	Deleted   bool
	CreatedAt time.Time
	Attempts  int // failed writes so far
}

// ClaimOutbox locks up to limit pending rows, oldest first, skipping rows
// another worker holds. The rows stay until DeleteOutbox in the same
// transaction commits, so a worker that dies loses nothing: its transaction
// rolls back and the rows are claimed again.
func ClaimOutbox(ctx context.Context, tx pgx.Tx, limit int) ([]OutboxRow, error) {
	rows, err := tx.Query(ctx, `SELECT id, asset_id::text, tenant_id::text, version, deleted, created_at, attempts
		FROM asset_outbox WHERE retry_at IS NULL OR retry_at <= now()
		ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
	if err != nil {
		return nil, fmt.Errorf("claiming outbox rows: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (OutboxRow, error) {
		var o OutboxRow
		err := r.Scan(&o.ID, &o.AssetID, &o.TenantID, &o.Version, &o.Deleted, &o.CreatedAt, &o.Attempts)
		return o, err
	})
}

// DeleteOutbox removes processed rows.
func DeleteOutbox(ctx context.Context, tx pgx.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM asset_outbox WHERE id = ANY ($1)`, ids); err != nil {
		return fmt.Errorf("deleting %d outbox rows: %w", len(ids), err)
	}
	return nil
}

// RetryOutbox puts rows whose documents failed back with exponential
// backoff (1 s doubling per attempt, at most 10 minutes).
func RetryOutbox(ctx context.Context, tx pgx.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE asset_outbox SET attempts = attempts + 1,
		retry_at = now() + least(interval '1 second' * power(2, attempts), interval '10 minutes')
		WHERE id = ANY ($1)`, ids)
	if err != nil {
		return fmt.Errorf("rescheduling %d outbox rows: %w", len(ids), err)
	}
	return nil
}

// Backlog is the number of pending outbox rows and the age of the oldest.
func Backlog(ctx context.Context, q Querier) (count int64, oldest time.Duration, err error) {
	var age *float64
	err = q.QueryRow(ctx, `SELECT count(*), extract(epoch FROM clock_timestamp() - min(created_at))::float8 FROM asset_outbox`).
		Scan(&count, &age)
	if err != nil {
		return 0, 0, fmt.Errorf("reading outbox backlog: %w", err)
	}
	if age != nil {
		oldest = time.Duration(*age * float64(time.Second))
	}
	return count, oldest, nil
}

// Touch bumps the version of the given assets without changing their data,
// which writes fresh outbox rows: how verify --repair re-enqueues drift.
func Touch(ctx context.Context, q Querier, ids []string) (int64, error) {
	tag, err := q.Exec(ctx, `UPDATE assets SET updated_at = updated_at WHERE id = ANY ($1::uuid[])`, ids)
	if err != nil {
		return 0, fmt.Errorf("re-enqueueing %d assets: %w", len(ids), err)
	}
	return tag.RowsAffected(), nil
}

// EnqueueDeleted writes delete outbox rows for ids that no longer exist in
// PostgreSQL but linger in the index. version must exceed the indexed one.
func EnqueueDeleted(ctx context.Context, q Querier, tenantID string, ids []string, versions []int64) error {
	_, err := q.Exec(ctx, `INSERT INTO asset_outbox (asset_id, tenant_id, version, deleted)
		SELECT id, $1, v + 1, true FROM unnest($2::uuid[], $3::bigint[]) AS t(id, v)
		WHERE NOT EXISTS (SELECT 1 FROM assets WHERE assets.id = t.id)`, tenantID, ids, versions)
	if err != nil {
		return fmt.Errorf("enqueueing %d deletes: %w", len(ids), err)
	}
	return nil
}

// IndexTargets lists the indexes a reindex registered for the worker to
// write to besides the alias.
func IndexTargets(ctx context.Context, q Querier) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT name FROM index_targets ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("reading index targets: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// AddIndexTarget registers an index the worker must also write to.
func AddIndexTarget(ctx context.Context, q Querier, name string) error {
	_, err := q.Exec(ctx, `INSERT INTO index_targets (name) VALUES ($1) ON CONFLICT DO NOTHING`, name)
	if err != nil {
		return fmt.Errorf("registering index %s: %w", name, err)
	}
	return nil
}

// RemoveIndexTarget unregisters an index.
func RemoveIndexTarget(ctx context.Context, q Querier, name string) error {
	_, err := q.Exec(ctx, `DELETE FROM index_targets WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("unregistering index %s: %w", name, err)
	}
	return nil
}
