package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// MirrorScope is the tenant, group or org an import mirrors: after the
// import, the scope holds exactly the assets the file names.
type MirrorScope struct {
	Kind string // ScopeTenant, ScopeGroup or ScopeOrg
	ID   string
}

// String is the KIND:ID form ParseMirrorScope reads.
func (m MirrorScope) String() string { return m.Kind + ":" + m.ID }

// ParseMirrorScope reads KIND:ID, KIND being tenant, group or org.
func ParseMirrorScope(s string) (MirrorScope, error) {
	kind, id, ok := strings.Cut(s, ":")
	if !ok {
		return MirrorScope{}, fmt.Errorf("mirror scope %q: want KIND:ID, e.g. tenant:<uuid>", s)
	}
	if kind != ScopeTenant && kind != ScopeGroup && kind != ScopeOrg {
		return MirrorScope{}, fmt.Errorf("mirror scope %q: kind must be tenant, group or org", s)
	}
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 {
		return MirrorScope{}, fmt.Errorf("mirror scope %q: %q is not a UUID", s, id)
	}
	return MirrorScope{Kind: kind, ID: u.String()}, nil
}

// Mirror makes Import mirror a full snapshot of scope m: every asset of the
// scope the file does not name is deleted, in the same transaction. A file
// that holds an asset (or removes one) outside the scope is refused.
func Mirror(m MirrorScope) ImportOption {
	return func(o *importOptions) { o.mirror = &m }
}

// checkMirror resolves the mirrored scope (after the file's hierarchy is
// merged, so a file may create it) and reports the first line whose asset is
// outside it.
func checkMirror(ctx context.Context, tx pgx.Tx, m MirrorScope, cs *copySource) (Scope, error) {
	s, err := ResolveScope(ctx, tx, m.Kind, m.ID)
	if errors.Is(err, ErrNotFound) {
		return Scope{}, fmt.Errorf("mirror scope %s: %w", m, ErrNotFound)
	}
	if err != nil {
		return Scope{}, err
	}
	cond, args := stagedInScope(s)
	var line int
	var id string
	err = tx.QueryRow(ctx, `SELECT i.line, i.id::text FROM import_assets i WHERE NOT (`+cond+`)
		ORDER BY i.line LIMIT 1`, args...).Scan(&line, &id)
	if err == nil {
		return Scope{}, &LineError{Line: line, Err: fmt.Errorf("asset %s is outside the mirrored scope %s", id, m)}
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return Scope{}, fmt.Errorf("checking assets against the mirrored scope: %w", err)
	}
	if len(cs.removals.ids) == 0 {
		return s, nil
	}
	cond, args = scopeCondition(s, 3)
	err = tx.QueryRow(ctx, `SELECT r.line, r.id::text FROM unnest($1::uuid[], $2::int[]) AS r (id, line)
		JOIN assets a ON a.id = r.id WHERE NOT (`+cond+`) ORDER BY r.line LIMIT 1`,
		append([]any{cs.removals.ids, cs.removals.lines}, args...)...).Scan(&line, &id)
	if err == nil {
		return Scope{}, &LineError{Line: line, Err: fmt.Errorf("removed asset %s is outside the mirrored scope %s", id, m)}
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return Scope{}, fmt.Errorf("checking removals against the mirrored scope: %w", err)
	}
	return s, nil
}

// stagedInScope is the SQL condition that staged asset i is in scope s, by
// its tenant and the org ids of its line.
func stagedInScope(s Scope) (string, []any) {
	switch s.Kind {
	case ScopeGroup:
		return `i.tenant_id = $1 AND EXISTS (SELECT 1 FROM orgs o WHERE o.id = ANY (i.org_ids) AND o.group_id = $2)`,
			[]any{s.TenantID, s.GroupID}
	case ScopeOrg:
		return `i.tenant_id = $1 AND $2 = ANY (i.org_ids)`, []any{s.TenantID, s.OrgID}
	}
	return `i.tenant_id = $1`, []any{s.TenantID}
}

// deleteUnnamed deletes the assets of scope s that the import does not name
// (the delete trigger writes their tombstones), and returns how many.
func deleteUnnamed(ctx context.Context, tx pgx.Tx, s Scope) (int64, error) {
	cond, args := scopeCondition(s, 1)
	tag, err := tx.Exec(ctx, `DELETE FROM assets a WHERE `+cond+`
		AND NOT EXISTS (SELECT 1 FROM import_assets i WHERE i.id = a.id)`, args...)
	if err != nil {
		return 0, fmt.Errorf("deleting the assets of %s:%s the file does not name: %w", s.Kind, s.ID, err)
	}
	return tag.RowsAffected(), nil
}
