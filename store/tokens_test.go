package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/openinventory/assets/store"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
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
