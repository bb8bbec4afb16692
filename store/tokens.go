package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Grant is one permission on one tenant, group or org, e.g.
// {tenant, <id>, tenant.read}.
type Grant struct {
	Kind       string
	ScopeID    string
	Permission string
}

// ParseGrant parses KIND:ID:PERMISSION, e.g. tenant:<uuid>:tenant.read.
func ParseGrant(s string) (Grant, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return Grant{}, fmt.Errorf("grant %q: want KIND:ID:PERMISSION", s)
	}
	g := Grant{Kind: parts[0], ScopeID: parts[1], Permission: parts[2]}
	if g.Kind != ScopeTenant && g.Kind != ScopeGroup && g.Kind != ScopeOrg {
		return Grant{}, fmt.Errorf("grant %q: kind must be tenant, group or org", s)
	}
	if _, err := uuid.Parse(g.ScopeID); err != nil {
		return Grant{}, fmt.Errorf("grant %q: %q is not a UUID", s, g.ScopeID)
	}
	if g.Permission != g.Kind+".read" && g.Permission != g.Kind+".edit" {
		return Grant{}, fmt.Errorf("grant %q: permission must be %s.read or %s.edit", s, g.Kind, g.Kind)
	}
	return g, nil
}

// Action is what a request needs: read or edit.
type Action string

const (
	Read Action = "read"
	Edit Action = "edit"
)

// Token is an authenticated API token with its grants.
type Token struct {
	ID     string
	Name   string
	Grants []Grant
	// Expires is when the token stops working; zero: never.
	Expires time.Time
}

// TokenExpiryDefault is how long a new token lives when its creator does not
// say: zero, no expiry. Tokens are revoked explicitly (assets token revoke).
const TokenExpiryDefault time.Duration = 0

// TokenLastUsedResolution is how stale a token's last_used_at may get: the
// authentication writes it only when the stored value is older, so a busy
// token costs one write a minute, not one a request.
const TokenLastUsedResolution = time.Minute

// Allows reports whether the token may do action in scope s. A grant on a
// tenant covers its groups and orgs, a grant on a group its orgs; edit
// implies read.
func (t *Token) Allows(s Scope, action Action) bool {
	for _, g := range t.Grants {
		if action == Edit && !strings.HasSuffix(g.Permission, ".edit") {
			continue
		}
		switch {
		case g.Kind == ScopeTenant && g.ScopeID == s.TenantID,
			g.Kind == ScopeGroup && s.GroupID != "" && g.ScopeID == s.GroupID,
			g.Kind == ScopeOrg && s.OrgID != "" && g.ScopeID == s.OrgID:
			return true
		}
	}
	return false
}

// Sees reports whether the token holds any grant covering scope s, so that a
// token with no grant there gets a 404 rather than learning it exists.
func (t *Token) Sees(s Scope) bool { return t.Allows(s, Read) }

const tokenPrefix = "ast_"

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// TokenOption adjusts a token being created.
type TokenOption func(*tokenOptions)

type tokenOptions struct{ expiresAt time.Time }

// WithExpiry makes the token invalid from at on (zero: never).
func WithExpiry(at time.Time) TokenOption {
	return func(o *tokenOptions) { o.expiresAt = at }
}

// GrantScopeError says why a grant names no scope of its kind: the token
// would be a 404 everywhere.
type GrantScopeError struct {
	Grant Grant
	// Actual is the kind of scope the id belongs to, or "" if none.
	Actual string
}

func (e *GrantScopeError) Error() string {
	g := e.Grant
	if e.Actual == "" {
		return fmt.Sprintf("grant %s:%s:%s: no %s has the id %s", g.Kind, g.ScopeID, g.Permission, g.Kind, g.ScopeID)
	}
	return fmt.Sprintf("grant %s:%s:%s: %s is the id of a %s, not of a %s: use %s:%s:%s.%s",
		g.Kind, g.ScopeID, g.Permission, g.ScopeID, e.Actual, g.Kind,
		e.Actual, g.ScopeID, e.Actual, strings.TrimPrefix(g.Permission, g.Kind+"."))
}

// scopeKindOf returns the kind of scope (tenant, group, org) id is, or "".
func scopeKindOf(ctx context.Context, q Querier, id string) (string, error) {
	var kind string
	err := q.QueryRow(ctx, `SELECT kind FROM (
			SELECT 'tenant' AS kind FROM tenants WHERE id = $1
			UNION ALL SELECT 'group' FROM groups WHERE id = $1
			UNION ALL SELECT 'org' FROM orgs WHERE id = $1) k LIMIT 1`, id).Scan(&kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("looking up scope %s: %w", id, err)
	}
	return kind, nil
}

// checkGrantScopes refuses a grant whose id is not a scope of its kind.
func checkGrantScopes(ctx context.Context, q Querier, grants []Grant) error {
	for _, g := range grants {
		kind, err := scopeKindOf(ctx, q, g.ScopeID)
		if err != nil {
			return err
		}
		if kind != g.Kind {
			return &GrantScopeError{Grant: g, Actual: kind}
		}
	}
	return nil
}

// CreateToken stores a new token with its grants and returns its secret,
// which is not stored and cannot be shown again. Every grant must name an
// existing scope of its kind (else a *GrantScopeError).
func CreateToken(ctx context.Context, pool *pgxpool.Pool, name string, grants []Grant, opts ...TokenOption) (string, error) {
	if name == "" {
		return "", errors.New("a token needs a name")
	}
	if len(grants) == 0 {
		return "", errors.New("a token needs at least one grant")
	}
	var o tokenOptions
	for _, opt := range opts {
		opt(&o)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generating a token: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	id := uuid.NewString()
	var expires *time.Time
	if !o.expiresAt.IsZero() {
		expires = &o.expiresAt
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := checkGrantScopes(ctx, tx, grants); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, name, hash, expires_at) VALUES ($1, $2, $3, $4)`,
			id, name, hashSecret(secret), expires); err != nil {
			return fmt.Errorf("storing token: %w", err)
		}
		for _, g := range grants {
			if _, err := tx.Exec(ctx, `INSERT INTO api_token_grants (token_id, scope_kind, scope_id, permission)
				VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, id, g.Kind, g.ScopeID, g.Permission); err != nil {
				return fmt.Errorf("storing grant: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// ErrBadToken is returned for an unknown, revoked, expired or malformed
// token; ErrTokenRevoked and ErrTokenExpired wrap it to say which.
var (
	ErrBadToken     = errors.New("invalid token")
	ErrTokenRevoked = fmt.Errorf("%w: revoked", ErrBadToken)
	ErrTokenExpired = fmt.Errorf("%w: expired", ErrBadToken)
)

// Authenticate finds the token whose secret this is. The lookup is by the
// SHA-256 of the secret, and the stored hash is compared in constant time.
// A revoked or expired token is refused. last_used_at is written only when
// it is older than TokenLastUsedResolution.
func Authenticate(ctx context.Context, q Querier, secret string) (*Token, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 128 {
		return nil, ErrBadToken
	}
	want := hashSecret(secret)
	var t Token
	var stored []byte
	var kinds, ids, perms []string
	var revoked, expired, stale bool
	var expires *time.Time
	// One round trip: this runs on every API request.
	err := q.QueryRow(ctx, `SELECT t.id::text, t.name, t.hash, t.expires_at,
			t.revoked_at IS NOT NULL, coalesce(t.expires_at <= now(), false),
			t.last_used_at IS NULL OR t.last_used_at < now() - $2::interval,
			coalesce(array_agg(g.scope_kind) FILTER (WHERE g.token_id IS NOT NULL), '{}'),
			coalesce(array_agg(g.scope_id::text) FILTER (WHERE g.token_id IS NOT NULL), '{}'),
			coalesce(array_agg(g.permission) FILTER (WHERE g.token_id IS NOT NULL), '{}')
		FROM api_tokens t LEFT JOIN api_token_grants g ON g.token_id = t.id
		WHERE t.hash = $1
		GROUP BY t.id`, want, TokenLastUsedResolution).Scan(&t.ID, &t.Name, &stored, &expires, &revoked, &expired, &stale, &kinds, &ids, &perms)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("looking up token: %w", err)
	}
	if subtle.ConstantTimeCompare(stored, want) != 1 {
		return nil, ErrBadToken
	}
	switch {
	case revoked:
		return nil, ErrTokenRevoked
	case expired:
		return nil, ErrTokenExpired
	}
	if stale {
		if err := touchToken(ctx, q, t.ID); err != nil {
			return nil, err
		}
	}
	if expires != nil {
		t.Expires = *expires
	}
	for i := range kinds {
		t.Grants = append(t.Grants, Grant{Kind: kinds[i], ScopeID: ids[i], Permission: perms[i]})
	}
	return &t, nil
}

// touchToken records a use. The condition is repeated so that concurrent
// requests that all saw a stale value write once: PostgreSQL re-checks it
// on the row the first writer left.
func touchToken(ctx context.Context, q Querier, id string) error {
	_, err := q.Exec(ctx, `UPDATE api_tokens SET last_used_at = now()
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - $2::interval)`, id, TokenLastUsedResolution)
	if err != nil {
		return fmt.Errorf("recording the use of token %s: %w", id, err)
	}
	return nil
}

// TokenInfo describes a stored token for listing; the secret is never
// stored, so it cannot be listed.
type TokenInfo struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Grants     []string   `json:"grants"` // KIND:ID:PERMISSION, as given to token create
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// ListTokens returns every token, oldest first.
func ListTokens(ctx context.Context, q Querier) ([]TokenInfo, error) {
	rows, err := q.Query(ctx, `SELECT t.id::text, t.name,
			coalesce(array_agg(g.scope_kind || ':' || g.scope_id || ':' || g.permission
				ORDER BY g.scope_kind, g.scope_id, g.permission) FILTER (WHERE g.token_id IS NOT NULL), '{}'),
			t.created_at, t.expires_at, t.last_used_at, t.revoked_at
		FROM api_tokens t LEFT JOIN api_token_grants g ON g.token_id = t.id
		GROUP BY t.id ORDER BY t.created_at, t.id`)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TokenInfo, error) {
		var ti TokenInfo
		err := r.Scan(&ti.ID, &ti.Name, &ti.Grants, &ti.CreatedAt, &ti.ExpiresAt, &ti.LastUsedAt, &ti.RevokedAt)
		return ti, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	return list, nil
}

// RevokeToken revokes the token id from now on. Revoking a revoked token
// keeps its first revocation time and reports already = true; an unknown id
// is ErrNotFound.
func RevokeToken(ctx context.Context, q Querier, id string) (already bool, err error) {
	if _, err := uuid.Parse(id); err != nil {
		return false, fmt.Errorf("token id %q is not a UUID", id)
	}
	var wasRevoked bool
	err = q.QueryRow(ctx, `WITH old AS (SELECT revoked_at IS NOT NULL AS was FROM api_tokens WHERE id = $1)
		UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
		RETURNING (SELECT was FROM old)`, id).Scan(&wasRevoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, ErrNotFound
	}
	if err != nil {
		return false, fmt.Errorf("revoking token %s: %w", id, err)
	}
	return wasRevoked, nil
}
