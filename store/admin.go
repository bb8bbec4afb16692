package store

import (
	"context"
	"fmt"
)

// HasAssets reports whether the database holds at least one asset, of any
// tenant (the seed command's --if-empty).
func HasAssets(ctx context.Context, q Querier) (bool, error) {
	var present bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM assets)`).Scan(&present); err != nil {
		return false, fmt.Errorf("checking for existing assets: %w", err)
	}
	return present, nil
}
