package sync

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// VerifyConfig tunes Verify.
type VerifyConfig struct {
	TenantID string        // only this tenant; empty for all
	Wait     time.Duration // first wait up to this long for the outbox to drain
	Repair   bool          // enqueue the drifted ids
}

// TenantDrift is what differs between PostgreSQL and Elasticsearch for one
// tenant. Missing: in PostgreSQL, not indexed. Stale: indexed with another
// version. Extra: indexed, gone from PostgreSQL.
type TenantDrift struct {
	TenantID      string   `json:"tenant_id"`
	Postgres      int64    `json:"postgres"`
	Elasticsearch int64    `json:"elasticsearch"`
	Missing       []string `json:"missing,omitempty"`
	Stale         []string `json:"stale,omitempty"`
	Extra         []string `json:"extra,omitempty"`
}

// Drifted reports whether anything differs.
func (d TenantDrift) Drifted() bool {
	return d.Postgres != d.Elasticsearch || len(d.Missing)+len(d.Stale)+len(d.Extra) > 0
}

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Tenants  []TenantDrift `json:"tenants"`
	Backlog  int64         `json:"outbox_backlog"`
	Drifted  int           `json:"drifted_documents"`
	Repaired int           `json:"repaired,omitempty"`
}

// Verify compares every tenant's documents in PostgreSQL and Elasticsearch
// (count, and each document's version) and, with Repair, re-enqueues what
// drifted: bumping the version of missing and stale assets (so the worker
// rewrites them) and writing tombstones for extra ones.
func Verify(ctx context.Context, pool *pgxpool.Pool, idx *index.Client, cfg VerifyConfig) (VerifyReport, error) {
	var rep VerifyReport
	deadline := time.Now().Add(cfg.Wait)
	for {
		n, _, err := store.Backlog(ctx, pool)
		if err != nil {
			return rep, err
		}
		rep.Backlog = n
		if n == 0 || time.Now().After(deadline) {
			break
		}
		if !sleep(ctx, 200*time.Millisecond) {
			return rep, ctx.Err()
		}
	}
	if err := idx.Refresh(ctx, idx.Alias()); err != nil {
		return rep, err
	}
	tenants, err := tenantIDs(ctx, pool, cfg.TenantID)
	if err != nil {
		return rep, err
	}
	for _, t := range tenants {
		d, extraVersions, err := verifyTenant(ctx, pool, idx, t)
		if err != nil {
			return rep, err
		}
		rep.Tenants = append(rep.Tenants, d)
		rep.Drifted += len(d.Missing) + len(d.Stale) + len(d.Extra)
		if cfg.Repair && d.Drifted() {
			touched, err := store.Touch(ctx, pool, append(append([]string{}, d.Missing...), d.Stale...))
			if err != nil {
				return rep, err
			}
			if err := store.EnqueueDeleted(ctx, pool, t, d.Extra, extraVersions); err != nil {
				return rep, err
			}
			rep.Repaired += int(touched) + len(d.Extra)
		}
	}
	return rep, nil
}

func tenantIDs(ctx context.Context, pool *pgxpool.Pool, only string) ([]string, error) {
	if only != "" {
		return []string{only}, nil
	}
	// Tenants with indexed documents but no rows left are found through the
	// tenants table, which assets never outlive.
	rows, err := pool.Query(ctx, `SELECT id::text FROM tenants ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("listing tenants: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func verifyTenant(ctx context.Context, pool *pgxpool.Pool, idx *index.Client, tenant string) (TenantDrift, []int64, error) {
	d := TenantDrift{TenantID: tenant}
	indexed := map[string]int64{}
	err := idx.Versions(ctx, tenant, func(id string, v int64) error {
		indexed[id] = v
		return nil
	})
	if err != nil {
		return d, nil, fmt.Errorf("reading indexed versions of tenant %s: %w", tenant, err)
	}
	d.Elasticsearch = int64(len(indexed))
	rows, err := pool.Query(ctx, `SELECT id::text, version FROM assets WHERE tenant_id = $1`, tenant)
	if err != nil {
		return d, nil, fmt.Errorf("reading versions of tenant %s: %w", tenant, err)
	}
	var id string
	var v int64
	_, err = pgx.ForEachRow(rows, []any{&id, &v}, func() error {
		d.Postgres++
		iv, ok := indexed[id]
		switch {
		case !ok:
			d.Missing = append(d.Missing, id)
		case iv != v:
			d.Stale = append(d.Stale, id)
		}
		delete(indexed, id)
		return nil
	})
	if err != nil {
		return d, nil, fmt.Errorf("reading versions of tenant %s: %w", tenant, err)
	}
	versions := make([]int64, 0, len(indexed))
	for id, v := range indexed {
		d.Extra = append(d.Extra, id)
		versions = append(versions, v)
	}
	return d, versions, nil
}
