package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Target is a Snyk target behind an asset (a repository, a registry
// image): the thing its projects scan. It belongs to the asset and to one
// of the asset's orgs; a token sees the targets of the orgs its scope
// covers, as for projects.
type Target struct {
	ID            string
	AssetID       string
	OrgID         string
	TargetFile    string
	TargetOrigin  string
	TargetRef     string
	IntegrationID string // "" for none
	ImportedAt    *time.Time
}

// targetAttributes is the import shape of a target.
type targetAttributes struct {
	AssetID       string     `json:"asset_id"`
	OrgID         string     `json:"org_id"`
	TargetFile    string     `json:"target_file"`
	TargetOrigin  string     `json:"target_origin"`
	TargetRef     string     `json:"target_ref"`
	IntegrationID string     `json:"integration_id"`
	ImportedAt    *time.Time `json:"imported_at,omitempty"`
}

// parseTarget decodes and checks a target line's attributes.
func parseTarget(id string, raw json.RawMessage) (*Target, error) {
	var at targetAttributes
	if err := strictDecode(raw, &at); err != nil {
		return nil, fmt.Errorf("target attributes: %w", err)
	}
	if err := checkUUID("attributes.asset_id", at.AssetID); err != nil {
		return nil, err
	}
	if err := checkUUID("attributes.org_id", at.OrgID); err != nil {
		return nil, err
	}
	if at.IntegrationID != "" {
		if err := checkUUID("attributes.integration_id", at.IntegrationID); err != nil {
			return nil, err
		}
	}
	return &Target{ID: id, AssetID: at.AssetID, OrgID: at.OrgID, TargetFile: at.TargetFile, TargetOrigin: at.TargetOrigin,
		TargetRef: at.TargetRef, IntegrationID: at.IntegrationID, ImportedAt: at.ImportedAt}, nil
}

func (t *Target) attributesOf() targetAttributes {
	return targetAttributes{AssetID: t.AssetID, OrgID: t.OrgID, TargetFile: t.TargetFile, TargetOrigin: t.TargetOrigin,
		TargetRef: t.TargetRef, IntegrationID: t.IntegrationID, ImportedAt: t.ImportedAt}
}

// targetColumns are the staged and upserted target columns, in COPY order
// (staging adds line first).
var targetColumns = []string{"id", "asset_id", "org_id", "target_file", "target_origin", "target_ref",
	"integration_id", "imported_at"}

func (t *Target) row(line int) []any {
	return []any{line, optUUID(t.ID), optUUID(t.AssetID), optUUID(t.OrgID), t.TargetFile, t.TargetOrigin, t.TargetRef,
		optUUID(t.IntegrationID), t.ImportedAt}
}

// mergeTargets stages and checks the targets (their asset exists, their
// org is one of the asset's orgs) and upserts them.
func mergeTargets(ctx context.Context, tx pgx.Tx) error {
	if err := analyze(ctx, tx, "targets"); err != nil {
		return err
	}
	checks := []stagedCheck{
		{`SELECT i.line, i.asset_id::text FROM import_targets i
			WHERE NOT EXISTS (SELECT 1 FROM assets a WHERE a.id = i.asset_id)`, "asset %s does not exist"},
		{`SELECT i.line, i.org_id::text FROM import_targets i
			WHERE NOT EXISTS (SELECT 1 FROM asset_orgs ao WHERE ao.asset_id = i.asset_id AND ao.org_id = i.org_id)`,
			"org %s is not one of the asset's orgs"},
	}
	if err := firstBadOf(ctx, tx, checks); err != nil {
		return err
	}
	return upsertStaged(ctx, tx, "targets", targetColumns)
}

// TargetQuery selects a page of an asset's targets, in id order; After and
// Before are the ids of the cursor items (at most one is set).
type TargetQuery struct {
	Limit         int
	After, Before string
}

// ListAssetTargets returns a page of the targets of an asset the scope can
// see (only those of orgs in the scope, as ListAssetProjects), and whether
// more follow in the direction of the page.
func ListAssetTargets(ctx context.Context, q Querier, s Scope, assetID string, tq TargetQuery) ([]Target, bool, error) {
	if err := assetVisible(ctx, q, s, assetID); err != nil {
		return nil, false, err
	}
	vis, scopeArg := orgVisible(s, "t.org_id", 2)
	args := []any{assetID, scopeArg}
	where, order := `t.asset_id = $1 AND `+vis, "t.id ASC"
	switch {
	case tq.After != "":
		args = append(args, tq.After)
		where += ` AND t.id > $3`
	case tq.Before != "":
		args = append(args, tq.Before)
		where, order = where+` AND t.id < $3`, "t.id DESC"
	}
	args = append(args, tq.Limit+1)
	rows, err := q.Query(ctx, `SELECT t.id::text, t.asset_id::text, t.org_id::text, t.target_file, t.target_origin,
		t.target_ref, coalesce(t.integration_id::text, ''), t.imported_at FROM targets t
		WHERE `+where+` ORDER BY `+order+fmt.Sprintf(` LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, false, fmt.Errorf("listing the targets of asset %s: %w", assetID, err)
	}
	ts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Target, error) {
		var t Target
		err := row.Scan(&t.ID, &t.AssetID, &t.OrgID, &t.TargetFile, &t.TargetOrigin, &t.TargetRef, &t.IntegrationID, &t.ImportedAt)
		return t, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("reading the targets of asset %s: %w", assetID, err)
	}
	more := len(ts) > tq.Limit
	if more {
		ts = ts[:tq.Limit]
	}
	if tq.Before != "" {
		slices.Reverse(ts)
	}
	return ts, more, nil
}
