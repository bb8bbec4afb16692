package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Search is a stored search: the query a POST .../searches asked for, paged
// by .../searches/{id}/results until it expires.
type Search struct {
	ID        string
	Scope     Scope
	TokenID   string
	Filter    string
	Sort      string
	Query     json.RawMessage // anything else the API needs to page consistently
	PIT       string          // the Elasticsearch point in time it pages, "" for none
	CreatedAt time.Time
	ExpiresAt time.Time
	// Remaining is how long the search still lives when it was read, by the
	// database's clock (so the application's clock cannot stretch it).
	Remaining time.Duration
}

// SearchLimits caps the live (unexpired) searches; zero means no cap.
type SearchLimits struct {
	PerToken  int
	PerTenant int
}

// SearchLimitError is a search refused because a cap is reached. RetryAfter
// is when the oldest live search counted against that cap expires.
type SearchLimitError struct {
	Of         string // "token" or "tenant"
	Limit      int
	RetryAfter time.Duration
}

func (e *SearchLimitError) Error() string {
	return fmt.Sprintf("the %s has %d live searches, the most allowed", e.Of, e.Limit)
}

// TxBeginner starts transactions: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type TxBeginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// CreateSearch stores a search in scope s (with no point in time yet) that
// lives for ttl, unless the token or the tenant already has limits' number
// of live searches: that is a *SearchLimitError. Creates in one tenant take
// a transaction-scoped lock, so concurrent ones cannot both pass a cap.
func CreateSearch(ctx context.Context, db TxBeginner, s Scope, tokenID, filter, sortBy string, query json.RawMessage, ttl time.Duration, limits SearchLimits) (*Search, error) {
	if len(query) == 0 {
		query = json.RawMessage("{}")
	}
	sr := &Search{ID: uuid.NewString(), Scope: s, TokenID: tokenID, Filter: filter, Sort: sortBy, Query: query}
	var token any
	if tokenID != "" {
		token = tokenID
	}
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('searches:' || $1::text, 0))`, s.TenantID); err != nil {
			return fmt.Errorf("locking the searches of tenant %s: %w", s.TenantID, err)
		}
		if err := checkSearchLimits(ctx, tx, s.TenantID, tokenID, limits); err != nil {
			return err
		}
		var remaining float64
		err := tx.QueryRow(ctx, `INSERT INTO searches (id, scope_kind, scope_id, tenant_id, token_id, filter, sort, query, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + $9::interval)
			RETURNING created_at, expires_at, extract(epoch FROM expires_at - now())::float8`,
			sr.ID, s.Kind, s.ID, s.TenantID, token, filter, sortBy, []byte(query), fmt.Sprintf("%d milliseconds", ttl.Milliseconds())).
			Scan(&sr.CreatedAt, &sr.ExpiresAt, &remaining)
		if err != nil {
			return fmt.Errorf("storing search: %w", err)
		}
		sr.Remaining = seconds(remaining)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sr, nil
}

// checkSearchLimits counts the live searches of the tenant and of the token
// in one statement.
func checkSearchLimits(ctx context.Context, q Querier, tenantID, tokenID string, limits SearchLimits) error {
	if limits.PerToken <= 0 && limits.PerTenant <= 0 {
		return nil
	}
	var tenantN, tokenN int
	var tenantWait, tokenWait *float64
	err := q.QueryRow(ctx, `SELECT count(*), extract(epoch FROM min(expires_at) - now())::float8,
			count(*) FILTER (WHERE token_id = $2), extract(epoch FROM min(expires_at) FILTER (WHERE token_id = $2) - now())::float8
		FROM searches WHERE tenant_id = $1 AND expires_at > now()`, tenantID, nullUUID(tokenID)).
		Scan(&tenantN, &tenantWait, &tokenN, &tokenWait)
	if err != nil {
		return fmt.Errorf("counting the live searches of tenant %s: %w", tenantID, err)
	}
	if tokenID != "" && limits.PerToken > 0 && tokenN >= limits.PerToken {
		return &SearchLimitError{Of: "token", Limit: limits.PerToken, RetryAfter: seconds(deref(tokenWait))}
	}
	if limits.PerTenant > 0 && tenantN >= limits.PerTenant {
		return &SearchLimitError{Of: "tenant", Limit: limits.PerTenant, RetryAfter: seconds(deref(tenantWait))}
	}
	return nil
}

func nullUUID(id string) any {
	if id == "" {
		return nil
	}
	return id
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

// seconds converts a number of seconds from SQL, never below zero.
func seconds(s float64) time.Duration {
	return time.Duration(math.Max(s, 0) * float64(time.Second))
}

// GetSearch reads a live search of scope s; an expired one, or one of
// another scope, is ErrNotFound.
func GetSearch(ctx context.Context, q Querier, s Scope, id string) (*Search, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	sr := &Search{ID: id, Scope: s}
	var query []byte
	var token *string
	var remaining float64
	err := q.QueryRow(ctx, `SELECT token_id::text, filter, sort, query, pit, created_at, expires_at,
			extract(epoch FROM expires_at - now())::float8
		FROM searches WHERE id = $1 AND scope_kind = $2 AND scope_id = $3 AND expires_at > now()`, id, s.Kind, s.ID).
		Scan(&token, &sr.Filter, &sr.Sort, &query, &sr.PIT, &sr.CreatedAt, &sr.ExpiresAt, &remaining)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading search %s: %w", id, err)
	}
	if token != nil {
		sr.TokenID = *token
	}
	sr.Query, sr.Remaining = query, seconds(remaining)
	return sr, nil
}

// SetSearchPIT records the point in time of a search. With old given, it
// replaces only that one, so a slower request cannot put back an id a
// faster one already replaced.
func SetSearchPIT(ctx context.Context, q Querier, id, old, pit string) error {
	if _, err := q.Exec(ctx, `UPDATE searches SET pit = $3 WHERE id = $1 AND pit = $2`, id, old, pit); err != nil {
		return fmt.Errorf("recording the point in time of search %s: %w", id, err)
	}
	return nil
}

// DeleteSearch removes a search (one whose point in time could not be
// opened); a missing one is not an error.
func DeleteSearch(ctx context.Context, q Querier, id string) error {
	if _, err := q.Exec(ctx, `DELETE FROM searches WHERE id = $1`, id); err != nil {
		return fmt.Errorf("deleting search %s: %w", id, err)
	}
	return nil
}

// ReapExpiredSearches deletes up to batch searches that expired, after
// closePIT released each one's point in time. When closePIT fails, none of
// the batch is deleted: the next call closes them again (closing is
// idempotent), so no point in time is forgotten while still open. The rows
// are locked with SKIP LOCKED, so several replicas reap side by side.
func ReapExpiredSearches(ctx context.Context, db TxBeginner, batch int, closePIT func(ctx context.Context, pit string) error) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id::text, pit FROM searches WHERE expires_at <= now()
			ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`, batch)
		if err != nil {
			return fmt.Errorf("reading expired searches: %w", err)
		}
		var ids, pits []string
		for rows.Next() {
			var id, pit string
			if err := rows.Scan(&id, &pit); err != nil {
				rows.Close()
				return fmt.Errorf("reading expired searches: %w", err)
			}
			ids, pits = append(ids, id), append(pits, pit)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("reading expired searches: %w", err)
		}
		for i, pit := range pits {
			if pit == "" {
				continue
			}
			if err := closePIT(ctx, pit); err != nil {
				return fmt.Errorf("closing the point in time of search %s: %w", ids[i], err)
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM searches WHERE id = ANY($1::uuid[])`, ids); err != nil {
			return fmt.Errorf("deleting expired searches: %w", err)
		}
		n = len(ids)
		return nil
	})
	return n, err
}
