package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

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
	// ErrDuplicatePatch: one batch names the same asset twice.
	ErrDuplicatePatch = errors.New("the asset is named twice in one update")
)

// PatchError names the patch (by its index in the request) that failed.
type PatchError struct {
	Index int
	ID    string
	Err   error
}

func (e *PatchError) Error() string { return fmt.Sprintf("asset %d (%s): %v", e.Index, e.ID, e.Err) }
func (e *PatchError) Unwrap() error { return e.Err }

// lockSQL locks the patched rows that are in the scope, in id order, so two
// overlapping batches cannot deadlock; it returns the ids it found.
const lockSQL = `SELECT a.id::text FROM assets a WHERE a.id = ANY ($1::uuid[]) AND %s ORDER BY a.id FOR UPDATE`

// updateSQL applies every patch in one statement (so the outbox trigger
// fires once per batch). The set operations run in SQL on the row itself:
// concurrent updates of one asset serialise on its row lock and none is lost.
// %s is the scope condition again: the membership rows behind the earlier
// check are not locked, so the statement itself never writes outside the
// scope, whatever happened in between.
const updateSQL = `UPDATE assets a SET
	class_rank = coalesce(p.class_rank, a.class_rank),
	class_locked = coalesce(p.class_locked, a.class_locked),
	labels = CASE p.label_mode
		WHEN 'replace' THEN (SELECT coalesce(array_agg(DISTINCT l ORDER BY l), '{}') FROM unnest(p.labels) l)
		WHEN 'update' THEN (SELECT coalesce(array_agg(DISTINCT l ORDER BY l), '{}')
			FROM unnest(a.labels || p.labels) l WHERE l <> ALL (p.label_remove))
		ELSE a.labels END,
	tags = CASE p.tag_mode
		WHEN 'replace' THEN p.tags
		WHEN 'update' THEN (a.tags - p.tag_remove) || p.tags
		ELSE a.tags END,
	updated_at = now()
FROM jsonb_to_recordset($1::jsonb) AS p(id uuid, class_rank smallint, class_locked boolean,
	label_mode text, labels text[], label_remove text[], tag_mode text, tags jsonb, tag_remove text[])
WHERE a.id = p.id AND %s`

// patchRow is one patch as a row of jsonb_to_recordset.
type patchRow struct {
	ID          string            `json:"id"`
	ClassRank   *int16            `json:"class_rank"`
	ClassLocked *bool             `json:"class_locked"`
	LabelMode   string            `json:"label_mode"`
	Labels      []string          `json:"labels"`
	LabelRemove []string          `json:"label_remove"`
	TagMode     string            `json:"tag_mode"`
	Tags        map[string]string `json:"tags"`
	TagRemove   []string          `json:"tag_remove"`
}

func rowOf(p Patch) patchRow {
	r := patchRow{ID: p.ID, ClassRank: p.ClassRank, ClassLocked: p.ClassLocked,
		Labels: []string{}, LabelRemove: []string{}, Tags: map[string]string{}, TagRemove: []string{}}
	if l := p.Labels; l != nil {
		if l.Replace != nil {
			r.LabelMode, r.Labels = "replace", l.Replace
		} else {
			r.LabelMode, r.Labels, r.LabelRemove = "update", nonNil(l.Add), nonNil(l.Remove)
		}
	}
	if t := p.Tags; t != nil {
		if t.Replace != nil {
			r.TagMode, r.Tags = "replace", t.Replace
		} else {
			r.TagMode, r.TagRemove = "update", nonNil(t.Remove)
			if t.Add != nil {
				r.Tags = t.Add
			}
		}
	}
	return r
}

// UpdateAssets applies every patch in one transaction, all or nothing. A
// patch naming an asset that does not exist in the scope fails the whole
// batch with a *PatchError wrapping ErrNotFound; one that would exceed the
// label or tag limits with ErrTooManyLabels or ErrTooManyTags. It returns
// the updated assets in patch order.
func UpdateAssets(ctx context.Context, pool *pgxpool.Pool, s Scope, patches []Patch) ([]*Asset, error) {
	return updateAssets(ctx, pool, s, patches, true)
}

func updateAssets(ctx context.Context, pool *pgxpool.Pool, s Scope, patches []Patch, readBack bool) ([]*Asset, error) {
	if len(patches) == 0 {
		return nil, nil
	}
	ids := make([]string, len(patches))
	rows := make([]patchRow, len(patches))
	seen := make(map[string]bool, len(patches))
	for i, p := range patches {
		// One statement updates a row once: a second patch of the same
		// asset would be silently dropped, so it is an error.
		if seen[p.ID] {
			return nil, &PatchError{Index: i, ID: p.ID, Err: ErrDuplicatePatch}
		}
		seen[p.ID] = true
		ids[i], rows[i] = p.ID, rowOf(p)
	}
	doc, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("encoding patches: %w", err)
	}
	cond, scopeArgs := scopeCondition(s, 2)
	var out []*Asset
	overLimit := ""
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		found, err := tx.Query(ctx, fmt.Sprintf(lockSQL, cond), append([]any{ids}, scopeArgs...)...)
		if err != nil {
			return fmt.Errorf("locking assets: %w", err)
		}
		locked, err := pgx.CollectRows(found, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("locking assets: %w", err)
		}
		if len(locked) < len(ids) {
			have := make(map[string]bool, len(locked))
			for _, id := range locked {
				have[id] = true
			}
			for i, id := range ids {
				if !have[id] {
					return &PatchError{Index: i, ID: id, Err: ErrNotFound}
				}
			}
		}
		if _, err := applyUpdate(ctx, tx, s, doc); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == SQLStateCheckViolation {
				overLimit = pgErr.ConstraintName
			}
			return fmt.Errorf("updating assets: %w", err)
		}
		if !readBack {
			return nil
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
	if overLimit != "" {
		return nil, limitViolation(ctx, pool, s, patches, overLimit)
	}
	return out, err
}

// limitViolation names the patch that broke the label or tag limit. The
// batch statement failed as a whole, so in a transaction of its own, always
// rolled back, it applies the patches one at a time (each in a savepoint,
// kept when it passes, so their effects add up as in the batch) until one
// fails: a rare path that only shapes the error.
func limitViolation(ctx context.Context, pool *pgxpool.Pool, s Scope, patches []Patch, constraint string) error {
	want := map[string]error{"assets_labels_limit": ErrTooManyLabels, "assets_tags_limit": ErrTooManyTags}[constraint]
	if want == nil {
		return fmt.Errorf("updating assets: constraint %s violated", constraint)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("finding the patch over the limit: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	for i, p := range patches {
		doc, err := json.Marshal([]patchRow{rowOf(p)})
		if err != nil {
			return err
		}
		sp, err := tx.Begin(ctx)
		if err != nil {
			return fmt.Errorf("finding the patch over the limit: %w", err)
		}
		if _, err := applyUpdate(ctx, sp, s, doc); err != nil {
			if SQLState(err) == SQLStateCheckViolation {
				return &PatchError{Index: i, ID: p.ID, Err: want}
			}
			return fmt.Errorf("finding the patch over the limit: %w", err)
		}
		if err := sp.Commit(ctx); err != nil {
			return fmt.Errorf("finding the patch over the limit: %w", err)
		}
	}
	return &PatchError{Index: 0, ID: patches[0].ID, Err: want}
}

// applyUpdate runs updateSQL for the encoded patch rows, limited to the
// scope, and returns how many rows it changed.
func applyUpdate(ctx context.Context, q Querier, s Scope, doc []byte) (int64, error) {
	cond, args := scopeCondition(s, 2)
	tag, err := q.Exec(ctx, fmt.Sprintf(updateSQL, cond), append([]any{doc}, args...)...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// ApplyPatches is UpdateAssets without reading the assets back, for the
// bulk PATCH that answers 204.
func ApplyPatches(ctx context.Context, pool *pgxpool.Pool, s Scope, patches []Patch) error {
	_, err := updateAssets(ctx, pool, s, patches, false)
	return err
}
