package sync

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// prune deletes previous indexes after a swap. Only indexes that once
// served the alias count towards keep (the newest keep survive): a
// leftover that never served must not pass for the previous index. Such
// leftovers are deleted once older than cfg.OrphanGrace. The current
// index, anything the alias points at and registered targets (a reindex
// running now) are never touched, nor any index of another deployment
// (index.Client.Indexes lists only this one's).
func prune(ctx context.Context, pool *pgxpool.Pool, idx *index.Client, current string, cfg ReindexConfig) ([]string, error) {
	infos, err := idx.Indexes(ctx)
	if err != nil {
		return nil, err
	}
	served, err := store.ServedIndexes(ctx, pool)
	if err != nil {
		return nil, err
	}
	targets, err := store.IndexTargets(ctx, pool)
	if err != nil {
		return nil, err
	}
	registered := map[string]bool{}
	for _, t := range targets {
		registered[t] = true
	}
	var previous, doomed []string
	for _, in := range infos {
		switch {
		case in.Name == current || in.Aliased || registered[in.Name]:
		case served[in.Name] || in.Name == idx.InitialIndex():
			previous = append(previous, in.Name)
		case time.Since(in.Created) >= cfg.OrphanGrace:
			doomed = append(doomed, in.Name)
		}
	}
	previous = sortByAge(previous)
	doomed = append(doomed, previous[:max(len(previous)-cfg.Keep, 0)]...)
	var deleted []string
	var errs []error
	for _, name := range doomed {
		if err := idx.DeleteIndex(ctx, name); err != nil {
			errs = append(errs, err)
			continue
		}
		deleted = append(deleted, name)
	}
	errs = append(errs, store.ForgetServed(ctx, pool, deleted...))
	return deleted, errors.Join(errs...)
}
