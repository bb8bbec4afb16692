package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotFound is returned when a row does not exist (or is outside what the
// caller may see: the API maps both to 404).
var ErrNotFound = errors.New("not found")

// Querier is what both *pgxpool.Pool and pgx.Tx offer: the handle of a
// function that runs a single statement (see the package documentation).
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// selectAssets reads full asset rows with their org and group ids.
const selectAssets = `SELECT a.id::text, a.tenant_id::text, a.type, a.class_rank, a.class_locked, a.labels, a.tags,
	a.registry, a.repository, a.name, coalesce(a.config_digest, ''), a.distribution_digests, a.image_tags,
	a.built_at, a.size_bytes, coalesce(a.os, ''), coalesce(a.os_version, ''), coalesce(a.architecture, ''),
	coalesce(a.variant, ''), coalesce(a.author, ''), a.config, a.image_labels, a.extra, a.risk_score,
	a.issues_critical, a.issues_high, a.issues_medium, a.issues_low, a.last_scan, a.last_seen_at,
	a.created_at, a.updated_at, a.version,
	coalesce(m.org_ids, '{}'), coalesce(m.group_ids, '{}')
FROM assets a
LEFT JOIN LATERAL (
	SELECT array_agg(ao.org_id::text ORDER BY ao.org_id) AS org_ids,
	       array_agg(DISTINCT o.group_id::text) AS group_ids
	FROM asset_orgs ao JOIN orgs o ON o.id = ao.org_id
	WHERE ao.asset_id = a.id
) m ON true`

func scanAsset(row pgx.Row) (*Asset, error) {
	var a Asset
	var tags, digests, imageLabels, extra, config []byte
	err := row.Scan(&a.ID, &a.TenantID, &a.Type, &a.ClassRank, &a.ClassLocked, &a.Labels, &tags,
		&a.Registry, &a.Repository, &a.Name, &a.ConfigDigest, &digests, &a.ImageTags,
		&a.BuiltAt, &a.SizeBytes, &a.OS, &a.OSVersion, &a.Architecture,
		&a.Variant, &a.Author, &config, &imageLabels, &extra, &a.RiskScore,
		&a.Issues.Critical, &a.Issues.High, &a.Issues.Medium, &a.Issues.Low, &a.LastScan, &a.LastSeenAt,
		&a.CreatedAt, &a.UpdatedAt, &a.Version, &a.OrgIDs, &a.GroupIDs)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(tags, &a.Tags); err != nil {
		return nil, fmt.Errorf("decoding tags of %s: %w", a.ID, err)
	}
	if err := json.Unmarshal(digests, &a.DistributionDigests); err != nil {
		return nil, fmt.Errorf("decoding distribution digests of %s: %w", a.ID, err)
	}
	if err := json.Unmarshal(imageLabels, &a.ImageLabels); err != nil {
		return nil, fmt.Errorf("decoding image labels of %s: %w", a.ID, err)
	}
	a.Config, a.Extra = config, extra
	a.LastSeenAt, a.CreatedAt, a.UpdatedAt = a.LastSeenAt.UTC(), a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	for _, p := range []**time.Time{&a.BuiltAt, &a.LastScan} {
		if *p != nil {
			u := (*p).UTC()
			*p = &u
		}
	}
	return &a, nil
}

// GetAsset reads one asset of a tenant.
func GetAsset(ctx context.Context, q Querier, tenantID, id string) (*Asset, error) {
	a, err := scanAsset(q.QueryRow(ctx, selectAssets+` WHERE a.id = $1 AND a.tenant_id = $2`, id, tenantID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading asset %s: %w", id, err)
	}
	return a, nil
}

// AssetsByID reads the assets with the given ids that exist, in no order.
func AssetsByID(ctx context.Context, q Querier, ids []string) ([]*Asset, error) {
	return queryAssets(ctx, q, len(ids), selectAssets+` WHERE a.id = ANY ($1::uuid[])`, ids)
}

// AssetPageRange reads up to limit assets with after < id <= upTo, in id
// order: a keyset page of one of several concurrent scans (reindex, verify).
// An empty after starts at the lowest id.
func AssetPageRange(ctx context.Context, q Querier, after, upTo string, limit int) ([]*Asset, error) {
	if after == "" {
		return queryAssets(ctx, q, limit, selectAssets+` WHERE a.id <= $1 ORDER BY a.id LIMIT $2`, upTo, limit)
	}
	return queryAssets(ctx, q, limit, selectAssets+` WHERE a.id > $1 AND a.id <= $2 ORDER BY a.id LIMIT $3`, after, upTo, limit)
}

// TenantAssetPage reads up to limit assets of a tenant with id > after, in
// id order (a keyset page on the tenant's index; "" starts at the lowest).
func TenantAssetPage(ctx context.Context, q Querier, tenantID, after string, limit int) ([]*Asset, error) {
	if after == "" {
		return queryAssets(ctx, q, limit, selectAssets+` WHERE a.tenant_id = $1 ORDER BY a.id LIMIT $2`, tenantID, limit)
	}
	return queryAssets(ctx, q, limit, selectAssets+` WHERE a.tenant_id = $1 AND a.id > $2 ORDER BY a.id LIMIT $3`, tenantID, after, limit)
}

func queryAssets(ctx context.Context, q Querier, sizeHint int, sql string, args ...any) ([]*Asset, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("reading assets: %w", err)
	}
	defer rows.Close()
	out := make([]*Asset, 0, sizeHint)
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, fmt.Errorf("reading assets: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading assets: %w", err)
	}
	return out, nil
}
