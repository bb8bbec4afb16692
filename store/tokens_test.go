package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/store"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	if _, err := importString(t, pool, hierarchyNDJSON()); err != nil {
		t.Fatal(err)
	}
	g, err := store.ParseGrant("group:" + groupA + ":group.read")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := store.CreateToken(ctx, pool, "ci", []store.Grant{g})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := store.Authenticate(ctx, pool, secret)
	if err != nil {
		t.Fatalf("authenticating the new token: %v", err)
	}
	if tok.Name != "ci" || len(tok.Grants) != 1 || tok.Grants[0] != g {
		t.Errorf("token = %+v", tok)
	}
	for _, bad := range []string{"", "ast_", secret + "x", secret[:len(secret)-1], "Bearer " + secret} {
		if _, err := store.Authenticate(ctx, pool, bad); !errors.Is(err, store.ErrBadToken) {
			t.Errorf("Authenticate(%q) = %v, want ErrBadToken", bad, err)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM api_tokens WHERE hash = convert_to($1, 'UTF8')`, secret); n != 0 {
		t.Error("the secret itself is stored")
	}
	// A group grant covers the group and its orgs, not the tenant; read is not edit.
	inGroup := store.Scope{Kind: "org", TenantID: tenantA, GroupID: groupA, OrgID: orgA1}
	if !tok.Allows(inGroup, store.Read) || tok.Allows(inGroup, store.Edit) {
		t.Error("group.read should allow reading, not editing, its org")
	}
	if tok.Allows(store.Scope{Kind: "tenant", TenantID: tenantA}, store.Read) {
		t.Error("a group grant must not cover its tenant")
	}
	for _, bad := range []string{"tenant:x:tenant.read", "team:" + groupA + ":group.read", "group:" + groupA + ":tenant.read", "group:" + groupA} {
		if _, err := store.ParseGrant(bad); err == nil {
			t.Errorf("ParseGrant(%q) accepted", bad)
		}
	}
}

// tokenPool is a migrated database holding the test hierarchy.
func tokenPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := testenvPostgres(t)
	if _, err := importString(t, pool, hierarchyNDJSON()); err != nil {
		t.Fatal(err)
	}
	return pool
}

func TestCreateTokenRefusesGrantsOnMissingOrMisKindedScopes(t *testing.T) {
	t.Parallel()
	pool := tokenPool(t)
	ctx := context.Background()
	for _, tc := range []struct {
		grant, want string
	}{
		{"group:" + tenantA + ":group.read", "is the id of a tenant, not of a group: use tenant:" + tenantA + ":tenant.read"},
		{"tenant:" + orgA1 + ":tenant.edit", "is the id of a org, not of a tenant: use org:" + orgA1 + ":org.edit"},
		{"org:" + asset1 + ":org.read", "no org has the id " + asset1},
	} {
		g, err := store.ParseGrant(tc.grant)
		if err != nil {
			t.Fatal(err)
		}
		ok, _ := store.ParseGrant("tenant:" + tenantA + ":tenant.read")
		_, err = store.CreateToken(ctx, pool, "bad", []store.Grant{ok, g})
		var gse *store.GrantScopeError
		if !errors.As(err, &gse) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CreateToken(%s) = %v, want a GrantScopeError containing %q", tc.grant, err, tc.want)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM api_tokens`); n != 0 {
		t.Errorf("%d tokens stored after refused grants", n)
	}
}

func TestRevokedAndExpiredTokensAreRefused(t *testing.T) {
	t.Parallel()
	pool := tokenPool(t)
	ctx := context.Background()
	g, _ := store.ParseGrant("tenant:" + tenantA + ":tenant.read")
	revoked, err := store.CreateToken(ctx, pool, "to-revoke", []store.Grant{g})
	if err != nil {
		t.Fatal(err)
	}
	expired, err := store.CreateToken(ctx, pool, "expired", []store.Grant{g}, store.WithExpiry(time.Now().Add(-time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	future, err := store.CreateToken(ctx, pool, "future", []store.Grant{g}, store.WithExpiry(time.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := store.Authenticate(ctx, pool, revoked)
	if err != nil {
		t.Fatal(err)
	}
	if already, err := store.RevokeToken(ctx, pool, tok.ID); err != nil || already {
		t.Fatalf("RevokeToken = %v, %v", already, err)
	}
	if already, err := store.RevokeToken(ctx, pool, tok.ID); err != nil || !already {
		t.Errorf("second RevokeToken = %v, %v; want already", already, err)
	}
	if _, err := store.RevokeToken(ctx, pool, asset1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken(unknown) = %v", err)
	}
	if _, err := store.Authenticate(ctx, pool, revoked); !errors.Is(err, store.ErrTokenRevoked) || !errors.Is(err, store.ErrBadToken) {
		t.Errorf("revoked token: %v", err)
	}
	if _, err := store.Authenticate(ctx, pool, expired); !errors.Is(err, store.ErrTokenExpired) {
		t.Errorf("expired token: %v", err)
	}
	if _, err := store.Authenticate(ctx, pool, future); err != nil {
		t.Errorf("token expiring in an hour: %v", err)
	}
	list, err := store.ListTokens(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]store.TokenInfo{}
	for _, ti := range list {
		byName[ti.Name] = ti
	}
	if len(list) != 3 || byName["to-revoke"].RevokedAt == nil || byName["expired"].ExpiresAt == nil ||
		byName["future"].RevokedAt != nil || byName["future"].LastUsedAt == nil || byName["expired"].LastUsedAt != nil {
		t.Errorf("ListTokens = %+v", list)
	}
	if gs := byName["future"].Grants; len(gs) != 1 || gs[0] != "tenant:"+tenantA+":tenant.read" {
		t.Errorf("grants = %v", gs)
	}
}

func TestAuthenticateWritesLastUsedAtMostOncePerMinute(t *testing.T) {
	t.Parallel()
	pool := tokenPool(t)
	ctx := context.Background()
	// Count the writes to api_tokens exactly, with a trigger of this test's own.
	if _, err := pool.Exec(ctx, `CREATE TABLE token_writes (at timestamptz);
		CREATE FUNCTION count_token_write() RETURNS trigger LANGUAGE plpgsql AS
			$$ BEGIN INSERT INTO token_writes VALUES (now()); RETURN NEW; END $$;
		CREATE TRIGGER count_token_write AFTER UPDATE ON api_tokens FOR EACH ROW EXECUTE FUNCTION count_token_write();`); err != nil {
		t.Fatal(err)
	}
	g, _ := store.ParseGrant("tenant:" + tenantA + ":tenant.read")
	secret, err := store.CreateToken(ctx, pool, "busy", []store.Grant{g})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := store.Authenticate(ctx, pool, secret); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := count(t, pool, `SELECT count(*) FROM token_writes`); n != 1 {
		t.Errorf("50 authentications wrote the token %d times, want 1", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL`); n != 1 {
		t.Error("last_used_at not recorded")
	}
	// A value older than the resolution is refreshed by the next use.
	if _, err := pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = now() - interval '2 minutes'; DELETE FROM token_writes`); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Authenticate(ctx, pool, secret); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM api_tokens WHERE last_used_at > now() - interval '10 seconds'`); n != 1 {
		t.Error("a stale last_used_at was not refreshed")
	}
}
