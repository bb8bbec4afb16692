package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Search is a stored search: the query a POST .../searches asked for, paged
// by .../searches/{id}/results until it expires.
type Search struct {
	ID        string
	Scope     Scope
	Filter    string
	Sort      string
	Query     json.RawMessage // anything else the API needs to page consistently
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSearch stores a search in scope s that lives for ttl.
func CreateSearch(ctx context.Context, q Querier, s Scope, tokenID, filter, sortBy string, query json.RawMessage, ttl time.Duration) (*Search, error) {
	if len(query) == 0 {
		query = json.RawMessage("{}")
	}
	sr := &Search{ID: uuid.NewString(), Scope: s, Filter: filter, Sort: sortBy, Query: query}
	var token any
	if tokenID != "" {
		token = tokenID
	}
	err := q.QueryRow(ctx, `INSERT INTO searches (id, scope_kind, scope_id, tenant_id, token_id, filter, sort, query, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + $9::interval) RETURNING created_at, expires_at`,
		sr.ID, s.Kind, s.ID, s.TenantID, token, filter, sortBy, []byte(query), fmt.Sprintf("%d milliseconds", ttl.Milliseconds())).
		Scan(&sr.CreatedAt, &sr.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("storing search: %w", err)
	}
	return sr, nil
}

// GetSearch reads a live search of scope s; an expired one, or one of
// another scope, is ErrNotFound.
func GetSearch(ctx context.Context, q Querier, s Scope, id string) (*Search, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	sr := &Search{ID: id, Scope: s}
	var query []byte
	err := q.QueryRow(ctx, `SELECT filter, sort, query, created_at, expires_at FROM searches
		WHERE id = $1 AND scope_kind = $2 AND scope_id = $3 AND expires_at > now()`, id, s.Kind, s.ID).
		Scan(&sr.Filter, &sr.Sort, &query, &sr.CreatedAt, &sr.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading search %s: %w", id, err)
	}
	sr.Query = query
	return sr, nil
}

// DeleteExpiredSearches removes searches that expired before now.
func DeleteExpiredSearches(ctx context.Context, q Querier) (int64, error) {
	tag, err := q.Exec(ctx, `DELETE FROM searches WHERE expires_at < now()`)
	if err != nil {
		return 0, fmt.Errorf("deleting expired searches: %w", err)
	}
	return tag.RowsAffected(), nil
}
