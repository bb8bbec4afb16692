package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/store"
)

func TestParseLifetime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration // 0: refused
	}{
		{"90d", 90 * 24 * time.Hour},
		{"1d", 24 * time.Hour},
		{"12h", 12 * time.Hour},
		{"30m", 30 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"0d", 0},
		{"-1d", 0},
		{"0h", 0},
		{"d", 0},
		{"1.5d", 0},
		{"90", 0},
		{"forever", 0},
		{"99999999999d", 0},
	} {
		got, err := parseLifetime(tc.in)
		if got != tc.want || (err == nil) != (tc.want != 0) {
			t.Errorf("parseLifetime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestTokenCommands(t *testing.T) {
	t.Parallel()
	e := dataEnv(t)
	r := run(t, e, "seed", "--assets", "5", "--tenants", "1", "--groups", "1", "--orgs", "1")
	if r.err != nil {
		t.Fatal(r.err)
	}
	var sum seed.Summary
	if err := json.Unmarshal([]byte(r.out), &sum); err != nil {
		t.Fatal(err)
	}
	tenant, group := sum.Tenants[0], sum.Groups[0]
	// Grants that would make a token that is a 404 everywhere are refused.
	for grant, want := range map[string]string{
		"group:" + tenant + ":group.read":             "is the id of a tenant, not of a group",
		"tenant:" + uuid.NewString() + ":tenant.read": "no tenant has the id",
		"org:" + group + ":org.edit":                  "is the id of a group, not of a org",
	} {
		r := run(t, e, "token", "create", "--name", "bad", "--grant", grant)
		if r.code != 2 || !strings.Contains(r.err.Error(), want) || r.out != "" {
			t.Errorf("create --grant %s: exit %d, %v, out %q", grant, r.code, r.err, r.out)
		}
	}
	for _, bad := range []string{"0d", "soon", "-5h"} {
		if r := run(t, e, "token", "create", "--name", "x", "--grant", "tenant:"+tenant+":tenant.read", "--expires", bad); r.code != 2 {
			t.Errorf("--expires %s: exit %d, %v", bad, r.code, r.err)
		}
	}
	r = run(t, e, "token", "create", "--name", "ci", "--grant", "tenant:"+tenant+":tenant.read", "--expires", "90d")
	if r.err != nil {
		t.Fatal(r.err)
	}
	secret := strings.TrimSpace(r.out)
	// list shows the token but never its secret.
	r = run(t, e, "token", "list")
	if r.err != nil || !strings.Contains(r.out, "LAST USED") || !strings.Contains(r.out, "ci ") || strings.Contains(r.out, secret) {
		t.Fatalf("token list: %v\n%s", r.err, r.out)
	}
	r = run(t, e, "token", "list", "--json")
	var list []store.TokenInfo
	if err := json.Unmarshal([]byte(r.out), &list); err != nil || len(list) != 1 {
		t.Fatalf("token list --json: %v\n%s", err, r.out)
	}
	tok := list[0]
	if tok.ExpiresAt == nil || time.Until(*tok.ExpiresAt) < 89*24*time.Hour || time.Until(*tok.ExpiresAt) > 91*24*time.Hour ||
		tok.RevokedAt != nil || strings.Contains(r.out, secret) {
		t.Errorf("token = %+v", tok)
	}
	// revoke, twice, then bad ids.
	for i, want := range []string{"revoked", "already revoked"} {
		r := run(t, e, "token", "revoke", tok.ID)
		if r.err != nil || strings.TrimSpace(r.out) != tok.ID+" "+want {
			t.Errorf("revoke #%d: %v %q", i+1, r.err, r.out)
		}
	}
	for _, bad := range []string{uuid.NewString(), "not-a-uuid"} {
		if r := run(t, e, "token", "revoke", bad); r.code != 2 {
			t.Errorf("revoke %s: exit %d, %v", bad, r.code, r.err)
		}
	}
	if r := run(t, e, "token", "list", "--json"); !strings.Contains(r.out, `"revoked_at":"`) {
		t.Errorf("revocation not listed: %s", r.out)
	}
}
