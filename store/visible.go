package store

import (
	"context"
	"fmt"
)

// CommittedVersions reads the current version of each asset of ids that
// exists: what a writer that waits for its change to become searchable
// waits for (a later writer's higher version serves as well).
func CommittedVersions(ctx context.Context, q Querier, ids []string) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT id::text, version FROM assets WHERE id = ANY ($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("reading committed versions: %w", err)
	}
	defer rows.Close()
	out := make(map[string]int64, len(ids))
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, fmt.Errorf("reading committed versions: %w", err)
		}
		out[id] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading committed versions: %w", err)
	}
	return out, nil
}

// OutboxPending reports whether any of the assets still has an outbox row
// at or below the given version: the sync worker has not yet written that
// version to Elasticsearch (it deletes a row only once acknowledged).
func OutboxPending(ctx context.Context, q Querier, versions map[string]int64) (bool, error) {
	ids := make([]string, 0, len(versions))
	vs := make([]int64, 0, len(versions))
	for id, v := range versions {
		ids = append(ids, id)
		vs = append(vs, v)
	}
	var pending bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM asset_outbox o
		JOIN unnest($1::uuid[], $2::bigint[]) AS w(id, v) ON o.asset_id = w.id AND o.version <= w.v)`, ids, vs).Scan(&pending)
	if err != nil {
		return false, fmt.Errorf("reading the outbox: %w", err)
	}
	return pending, nil
}
