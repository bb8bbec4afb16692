package sync

import (
	"context"
	"fmt"
	"slices"
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
	PageSize int           // assets per PostgreSQL page; default PageSizeDefault
}

// TenantDrift is what differs between PostgreSQL and Elasticsearch for one
// tenant. Missing: in PostgreSQL, not indexed. Stale: indexed with another
// version. Changed: indexed with the same version but other content (a
// projection that changed without a version bump, or a damaged document).
// Extra: indexed, gone from PostgreSQL.
type TenantDrift struct {
	TenantID      string   `json:"tenant_id"`
	Postgres      int64    `json:"postgres"`
	Elasticsearch int64    `json:"elasticsearch"`
	Missing       []string `json:"missing,omitempty"`
	Stale         []string `json:"stale,omitempty"`
	Changed       []string `json:"changed,omitempty"`
	Extra         []string `json:"extra,omitempty"`
}

// Drifted reports whether anything differs.
func (d TenantDrift) Drifted() bool {
	return d.Postgres != d.Elasticsearch || len(d.Missing)+len(d.Stale)+len(d.Changed)+len(d.Extra) > 0
}

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Tenants  []TenantDrift `json:"tenants"`
	Backlog  int64         `json:"outbox_backlog"`
	Drifted  int           `json:"drifted_documents"`
	Repaired int           `json:"repaired,omitempty"`
}

// Verify compares every tenant's documents in PostgreSQL and Elasticsearch
// (count, each document's version, and the digest of its content against
// the projection of the row now) and, with Repair, re-enqueues what
// drifted: bumping the version of missing, stale and changed assets (so the
// worker rewrites them) and writing tombstones for extra ones.
func Verify(ctx context.Context, pool *pgxpool.Pool, idx *index.Client, cfg VerifyConfig) (VerifyReport, error) {
	var rep VerifyReport
	if cfg.PageSize <= 0 {
		cfg.PageSize = PageSizeDefault
	}
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
		d, extraVersions, err := verifyTenant(ctx, pool, idx, t, cfg.PageSize)
		if err != nil {
			return rep, err
		}
		rep.Tenants = append(rep.Tenants, d)
		rep.Drifted += len(d.Missing) + len(d.Stale) + len(d.Changed) + len(d.Extra)
		if cfg.Repair && d.Drifted() {
			// Touch bumps the version, so the rewrite of a changed document
			// (indexed under the version PostgreSQL still has) is accepted.
			touched, err := store.Touch(ctx, pool, slices.Concat(d.Missing, d.Stale, d.Changed))
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

func verifyTenant(ctx context.Context, pool *pgxpool.Pool, idx *index.Client, tenant string, pageSize int) (TenantDrift, []int64, error) {
	d := TenantDrift{TenantID: tenant}
	indexed := map[string]index.TenantDoc{}
	err := idx.Digests(ctx, tenant, func(doc index.TenantDoc) error {
		indexed[doc.ID] = doc
		return nil
	})
	if err != nil {
		return d, nil, fmt.Errorf("reading indexed documents of tenant %s: %w", tenant, err)
	}
	d.Elasticsearch = int64(len(indexed))
	for after := ""; ; {
		page, err := store.TenantAssetPage(ctx, pool, tenant, after, pageSize)
		if err != nil {
			return d, nil, fmt.Errorf("reading assets of tenant %s: %w", tenant, err)
		}
		for _, a := range page {
			if err := compare(&d, indexed, a); err != nil {
				return d, nil, err
			}
		}
		if len(page) < pageSize {
			break
		}
		after = page[len(page)-1].ID
	}
	versions := make([]int64, 0, len(indexed))
	for id, doc := range indexed {
		d.Extra = append(d.Extra, id)
		versions = append(versions, doc.Version)
	}
	return d, versions, nil
}

// compare files one PostgreSQL row under Missing, Stale or Changed, or
// nowhere when its indexed document matches, and takes the document out of
// indexed (what is left there at the end is Extra).
func compare(d *TenantDrift, indexed map[string]index.TenantDoc, a *store.Asset) error {
	d.Postgres++
	doc, ok := indexed[a.ID]
	delete(indexed, a.ID)
	switch {
	case !ok:
		d.Missing = append(d.Missing, a.ID)
	case doc.Version != a.Version:
		d.Stale = append(d.Stale, a.ID)
	default:
		p := index.Project(a)
		digest, err := p.Digest()
		if err != nil {
			return fmt.Errorf("projecting asset %s: %w", a.ID, err)
		}
		if digest != doc.Digest {
			d.Changed = append(d.Changed, a.ID)
		}
	}
	return nil
}
