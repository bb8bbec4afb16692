package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Scope kinds, as in the API paths.
const (
	ScopeTenant = "tenant"
	ScopeGroup  = "group"
	ScopeOrg    = "org"
)

// Scope is a resolved tenant, group or org: the tenant it belongs to and, for
// an org, its group.
type Scope struct {
	Kind     string
	ID       string
	TenantID string
	GroupID  string // the group itself, or the org's group
	OrgID    string
}

// ResolveScope looks up a tenant, group or org. A missing one is ErrNotFound.
func ResolveScope(ctx context.Context, q Querier, kind, id string) (Scope, error) {
	s := Scope{Kind: kind, ID: id}
	var err error
	switch kind {
	case ScopeTenant:
		s.TenantID = id
		err = q.QueryRow(ctx, `SELECT id::text FROM tenants WHERE id = $1`, id).Scan(&s.TenantID)
	case ScopeGroup:
		s.GroupID = id
		err = q.QueryRow(ctx, `SELECT tenant_id::text FROM groups WHERE id = $1`, id).Scan(&s.TenantID)
	case ScopeOrg:
		s.OrgID = id
		err = q.QueryRow(ctx, `SELECT g.tenant_id::text, g.id::text FROM orgs o JOIN groups g ON g.id = o.group_id
			WHERE o.id = $1`, id).Scan(&s.TenantID, &s.GroupID)
	default:
		return Scope{}, fmt.Errorf("unknown scope kind %q", kind)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return Scope{}, ErrNotFound
	}
	if err != nil {
		return Scope{}, fmt.Errorf("resolving %s %s: %w", kind, id, err)
	}
	return s, nil
}

// scopeCondition is the SQL condition that asset alias a is in the scope
// given as parameters $n (tenant) and $n+1 (group or org id, or ”).
func scopeCondition(s Scope, n int) (string, []any) {
	switch s.Kind {
	case ScopeGroup:
		return fmt.Sprintf(`a.tenant_id = $%d AND EXISTS (SELECT 1 FROM asset_orgs ao JOIN orgs o ON o.id = ao.org_id
			WHERE ao.asset_id = a.id AND o.group_id = $%d)`, n, n+1), []any{s.TenantID, s.GroupID}
	case ScopeOrg:
		return fmt.Sprintf(`a.tenant_id = $%d AND EXISTS (SELECT 1 FROM asset_orgs ao
			WHERE ao.asset_id = a.id AND ao.org_id = $%d)`, n, n+1), []any{s.TenantID, s.OrgID}
	}
	return fmt.Sprintf(`a.tenant_id = $%d`, n), []any{s.TenantID}
}

// GetAssetInScope reads one asset if it is in the scope.
func GetAssetInScope(ctx context.Context, q Querier, s Scope, id string) (*Asset, error) {
	cond, args := scopeCondition(s, 2)
	a, err := scanAsset(q.QueryRow(ctx, selectAssets+` WHERE a.id = $1 AND `+cond, append([]any{id}, args...)...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading asset %s: %w", id, err)
	}
	return a, nil
}
