package store

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ApplyUpdateUnchecked runs the bulk UPDATE statement alone, without the
// locking pre-check, so tests can show the statement keeps the scope itself.
func ApplyUpdateUnchecked(ctx context.Context, pool *pgxpool.Pool, s Scope, patches []Patch) (int64, error) {
	rows := make([]patchRow, len(patches))
	for i, p := range patches {
		rows[i] = rowOf(p)
	}
	doc, err := json.Marshal(rows)
	if err != nil {
		return 0, err
	}
	return applyUpdate(ctx, pool, s, doc)
}
