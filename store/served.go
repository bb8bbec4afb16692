package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// MarkServed records that the named indexes served the alias. Pruning keeps
// previous indexes only among these, so the leftover of a failed reindex
// (which never served) is never kept in place of a real previous index.
func MarkServed(ctx context.Context, q Querier, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	_, err := q.Exec(ctx, `INSERT INTO served_indexes (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, names)
	if err != nil {
		return fmt.Errorf("recording served indexes %v: %w", names, err)
	}
	return nil
}

// ServedIndexes returns the set of indexes that once served the alias.
func ServedIndexes(ctx context.Context, q Querier) (map[string]bool, error) {
	rows, err := q.Query(ctx, `SELECT name FROM served_indexes`)
	if err != nil {
		return nil, fmt.Errorf("reading served indexes: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("reading served indexes: %w", err)
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set, nil
}

// ForgetServed drops the record of deleted indexes.
func ForgetServed(ctx context.Context, q Querier, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	if _, err := q.Exec(ctx, `DELETE FROM served_indexes WHERE name = ANY ($1)`, names); err != nil {
		return fmt.Errorf("forgetting served indexes %v: %w", names, err)
	}
	return nil
}
