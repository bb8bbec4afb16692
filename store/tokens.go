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
}

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

// CreateToken stores a new token with its grants and returns its secret,
// which is not stored and cannot be shown again.
func CreateToken(ctx context.Context, pool *pgxpool.Pool, name string, grants []Grant) (string, error) {
	if name == "" {
		return "", errors.New("a token needs a name")
	}
	if len(grants) == 0 {
		return "", errors.New("a token needs at least one grant")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generating a token: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	id := uuid.NewString()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, name, hash) VALUES ($1, $2, $3)`, id, name, hashSecret(secret)); err != nil {
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

// ErrBadToken is returned for an unknown, revoked or malformed token.
var ErrBadToken = errors.New("invalid token")

// Authenticate finds the token whose secret this is. The lookup is by the
// SHA-256 of the secret, and the stored hash is compared in constant time.
func Authenticate(ctx context.Context, q Querier, secret string) (*Token, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 128 {
		return nil, ErrBadToken
	}
	want := hashSecret(secret)
	var t Token
	var stored []byte
	var kinds, ids, perms []string
	// One round trip: this runs on every API request.
	err := q.QueryRow(ctx, `SELECT t.id::text, t.name, t.hash,
			coalesce(array_agg(g.scope_kind) FILTER (WHERE g.token_id IS NOT NULL), '{}'),
			coalesce(array_agg(g.scope_id::text) FILTER (WHERE g.token_id IS NOT NULL), '{}'),
			coalesce(array_agg(g.permission) FILTER (WHERE g.token_id IS NOT NULL), '{}')
		FROM api_tokens t LEFT JOIN api_token_grants g ON g.token_id = t.id
		WHERE t.hash = $1 AND t.revoked_at IS NULL
		GROUP BY t.id`, want).Scan(&t.ID, &t.Name, &stored, &kinds, &ids, &perms)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("looking up token: %w", err)
	}
	if subtle.ConstantTimeCompare(stored, want) != 1 {
		return nil, ErrBadToken
	}
	for i := range kinds {
		t.Grants = append(t.Grants, Grant{Kind: kinds[i], ScopeID: ids[i], Permission: perms[i]})
	}
	return &t, nil
}
