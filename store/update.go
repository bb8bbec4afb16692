package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// LabelsPatch either replaces the labels (Replace set) or adds and removes.
type LabelsPatch struct {
	Replace []string // nil unless replacing; may be empty to clear
	Add     []string
	Remove  []string
}

// TagsPatch either replaces the tags (Replace set) or adds and removes keys.
type TagsPatch struct {
	Replace map[string]string // nil unless replacing; may be empty to clear
	Add     map[string]string
	Remove  []string
}

// Patch is one asset's update. Nil members are left unchanged.
type Patch struct {
	ID          string
	ClassRank   *int16
	ClassLocked *bool
	Labels      *LabelsPatch
	Tags        *TagsPatch
}

// ErrTooManyLabels and ErrTooManyTags: the update would leave the asset with
// more labels or tags than the contract allows.
var (
	ErrTooManyLabels = fmt.Errorf("an asset has at most %d labels", MaxLabels)
	ErrTooManyTags   = fmt.Errorf("an asset has at most %d tags", MaxTags)
)

// PatchError names the patch (by its index in the request) that failed.
type PatchError struct {
	Index int
	ID    string
	Err   error
}

func (e *PatchError) Error() string { return fmt.Sprintf("asset %d (%s): %v", e.Index, e.ID, e.Err) }
func (e *PatchError) Unwrap() error { return e.Err }

// The set operations run in SQL on the row itself, so concurrent updates of
// the same asset serialise on its row lock and none is lost.
const updateSQL = `UPDATE assets a SET
	class_rank = coalesce($2::smallint, a.class_rank),
	class_locked = coalesce($3::boolean, a.class_locked),
	labels = CASE $4::text
		WHEN 'replace' THEN (SELECT coalesce(array_agg(DISTINCT l ORDER BY l), '{}') FROM unnest($5::text[]) l)
		WHEN 'update' THEN (SELECT coalesce(array_agg(DISTINCT l ORDER BY l), '{}')
			FROM unnest(a.labels || $5::text[]) l WHERE l <> ALL ($6::text[]))
		ELSE a.labels END,
	tags = CASE $7::text
		WHEN 'replace' THEN $8::jsonb
		WHEN 'update' THEN (a.tags - $9::text[]) || $8::jsonb
		ELSE a.tags END,
	updated_at = now()
WHERE a.id = $1 AND `

// UpdateAssets applies every patch in one transaction, all or nothing. A
// patch naming an asset that does not exist in the scope fails the whole
// batch with a *PatchError wrapping ErrNotFound. It returns the updated
// assets in patch order.
func UpdateAssets(ctx context.Context, pool *pgxpool.Pool, s Scope, patches []Patch) ([]*Asset, error) {
	// Lock rows in id order so that two overlapping batches cannot deadlock.
	order := make([]int, len(patches))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return patches[order[i]].ID < patches[order[j]].ID })
	cond, scopeArgs := scopeCondition(s, 10)
	sql := updateSQL + cond + ` RETURNING a.id::text`
	var out []*Asset
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		batch := &pgx.Batch{}
		for _, i := range order {
			args, err := patchArgs(patches[i])
			if err != nil {
				return &PatchError{Index: i, ID: patches[i].ID, Err: err}
			}
			batch.Queue(sql, append(args, scopeArgs...)...)
		}
		br := tx.SendBatch(ctx, batch)
		for _, i := range order {
			var id string
			if err := br.QueryRow().Scan(&id); err != nil {
				br.Close()
				if err == pgx.ErrNoRows {
					return &PatchError{Index: i, ID: patches[i].ID, Err: ErrNotFound}
				}
				var pgErr *pgconn.PgError
				if errors.As(err, &pgErr) && pgErr.Code == "23514" {
					switch pgErr.ConstraintName {
					case "assets_labels_limit":
						return &PatchError{Index: i, ID: patches[i].ID, Err: ErrTooManyLabels}
					case "assets_tags_limit":
						return &PatchError{Index: i, ID: patches[i].ID, Err: ErrTooManyTags}
					}
				}
				return &PatchError{Index: i, ID: patches[i].ID, Err: fmt.Errorf("updating: %w", err)}
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("updating assets: %w", err)
		}
		ids := make([]string, len(patches))
		for i, p := range patches {
			ids[i] = p.ID
		}
		assets, err := AssetsByID(ctx, tx, ids)
		if err != nil {
			return err
		}
		byID := make(map[string]*Asset, len(assets))
		for _, a := range assets {
			byID[a.ID] = a
		}
		out = make([]*Asset, len(patches))
		for i, p := range patches {
			out[i] = byID[p.ID]
		}
		return nil
	})
	return out, err
}

func patchArgs(p Patch) ([]any, error) {
	labelMode, tagMode := "", ""
	var labels, remove, tagRemove []string
	tags := []byte("{}")
	if l := p.Labels; l != nil {
		if l.Replace != nil {
			labelMode, labels = "replace", l.Replace
		} else {
			labelMode, labels, remove = "update", l.Add, l.Remove
		}
	}
	if t := p.Tags; t != nil {
		m := t.Add
		tagMode, tagRemove = "update", t.Remove
		if t.Replace != nil {
			m, tagMode, tagRemove = t.Replace, "replace", nil
		}
		if m != nil {
			b, err := json.Marshal(m)
			if err != nil {
				return nil, err
			}
			tags = b
		}
	}
	return []any{p.ID, p.ClassRank, p.ClassLocked, labelMode, nonNil(labels), nonNil(remove),
		tagMode, tags, nonNil(tagRemove)}, nil
}
