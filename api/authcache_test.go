package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/openinventory/assets/store"
)

func TestAuthCacheRules(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m, err := newMetrics(prometheus.NewRegistry(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newAuthCache(time.Minute, m)
	c.now = func() time.Time { return now }
	tok := &store.Token{ID: "t"}
	sc := store.Scope{Kind: store.ScopeOrg, ID: "o", TenantID: "t", GroupID: "g", OrgID: "o"}

	gen, live := c.generation()
	if live {
		t.Fatal("a cache nobody listens for is live")
	}
	c.putToken(gen, "s", tok)
	c.putScope(gen, sc)
	if _, ok := c.token("s"); ok {
		t.Fatal("a token was cached while nobody listened")
	}
	if _, ok := c.scope(sc.Kind, sc.ID); ok {
		t.Fatal("a scope was cached while nobody listened")
	}

	c.event(store.Listening)
	gen, live = c.generation()
	if !live {
		t.Fatal("listening did not make the cache live")
	}
	c.putToken(gen, "s", tok)
	c.putScope(gen, sc)
	if got, ok := c.token("s"); !ok || got != tok {
		t.Fatalf("token(s) = %v, %v; want the stored token", got, ok)
	}
	if _, ok := c.token("other"); ok {
		t.Fatal("another secret found the token")
	}
	if got, ok := c.scope(sc.Kind, sc.ID); !ok || got != sc {
		t.Fatalf("scope = %v, %v; want %v", got, ok, sc)
	}

	// A read from before a change is not stored after it.
	before, _ := c.generation()
	c.event(store.Notified)
	if _, ok := c.token("s"); ok {
		t.Fatal("a change did not forget the token")
	}
	if _, ok := c.scope(sc.Kind, sc.ID); ok {
		t.Fatal("a change did not forget the scope")
	}
	c.putToken(before, "s", tok)
	c.putScope(before, sc)
	if _, ok := c.token("s"); ok {
		t.Fatal("a token read before a change was stored after it")
	}
	if _, ok := c.scope(sc.Kind, sc.ID); ok {
		t.Fatal("a scope read before a change was stored after it")
	}

	// Entries live for the TTL, an expiring token no longer than it works.
	gen, _ = c.generation()
	c.putToken(gen, "s", tok)
	c.putToken(gen, "e", &store.Token{ID: "e", Expires: now.Add(10 * time.Second)})
	now = now.Add(10 * time.Second)
	if _, ok := c.token("e"); ok {
		t.Fatal("an expired token was served from the cache")
	}
	if _, ok := c.token("s"); !ok {
		t.Fatal("a token was forgotten before its TTL")
	}
	now = now.Add(50 * time.Second)
	if _, ok := c.token("s"); ok {
		t.Fatal("a token outlived its TTL")
	}

	// A lost listener turns the cache off until the next listen.
	gen, _ = c.generation()
	c.putToken(gen, "s", tok)
	c.event(store.Deaf)
	gen, live = c.generation()
	if live {
		t.Fatal("a deaf cache is live")
	}
	c.putToken(gen, "s", tok)
	if _, ok := c.token("s"); ok {
		t.Fatal("a deaf cache served a token")
	}

	// A full cache starts over rather than grow.
	c.event(store.Listening)
	gen, _ = c.generation()
	for i := range AuthCacheEntriesMax + 1 {
		c.putToken(gen, fmt.Sprint(i), tok)
	}
	if n := len(c.tokens); n != 1 {
		t.Fatalf("after %d tokens the cache holds %d, want 1 (started over)", AuthCacheEntriesMax+1, n)
	}
}

// The cache serves what it read until the database says it changed: a
// revoked token, a removed grant, an org moved to another group each take
// effect on the next request once the notification arrived.
func TestAuthCacheForgetsWhatChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, assetLine(testAssetID(1), tenantA, []string{orgA1}, nil))
	ctx := t.Context()
	// Two replicas, each with its cache and listener.
	replica := func() (*Server, *httptest.Server) {
		s, err := New(Config{Pool: e.pool, Index: e.index, AuthCacheTTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(s.Handler())
		t.Cleanup(hs.Close)
		wctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = s.WatchAuth(wctx) }()
		t.Cleanup(func() { stop(); <-done })
		waitFor(t, "the cache to listen", func() bool { _, live := s.auth.generation(); return live })
		return s, hs
	}
	s, hs := replica()
	s2, hs2 := replica()
	e.srv = hs

	tokenID := func(name string) string {
		var id string
		if err := e.pool.QueryRow(ctx, `SELECT id::text FROM api_tokens WHERE name = $1`, name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := e.pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	status := func(token, path string) func() int {
		return func() int { return e.get(token, path).status }
	}

	// The cache is what answers: with the trigger off, a revocation goes
	// unnoticed until something notifies.
	e.get("orgA1.read", orgPath(orgA1)).must(t, 200)
	if _, ok := s.auth.token(e.tokens["orgA1.read"]); !ok {
		t.Fatal("an authenticated token is not in the cache")
	}
	if _, ok := s.auth.scope(store.ScopeOrg, orgA1); !ok {
		t.Fatal("a resolved scope is not in the cache")
	}
	if hits := testutil.ToFloat64(s.metrics.authLookups.WithLabelValues("token", "miss")); hits != 1 {
		t.Errorf("token misses counted %v, want 1", hits)
	}
	e.get("orgA1.read", orgPath(orgA1)).must(t, 200)
	if hits := testutil.ToFloat64(s.metrics.authLookups.WithLabelValues("token", "hit")); hits != 1 {
		t.Errorf("token hits counted %v, want 1", hits)
	}
	if on := testutil.ToFloat64(s.metrics.authListening); on != 1 {
		t.Errorf("assets_auth_cache_listening = %v while listening, want 1", on)
	}
	exec(`ALTER TABLE api_tokens DISABLE TRIGGER api_tokens_auth_changed`)
	if _, err := store.RevokeToken(ctx, e.pool, tokenID("orgA1.read")); err != nil {
		t.Fatal(err)
	}
	e.get("orgA1.read", orgPath(orgA1)).must(t, 200)
	exec(`NOTIFY ` + store.AuthChangedChannel)
	waitStatus(t, "a notified revocation", status("orgA1.read", orgPath(orgA1)), 401)
	exec(`ALTER TABLE api_tokens ENABLE TRIGGER api_tokens_auth_changed`)

	// Each change that matters notifies by itself, every replica.
	e.get("tenantA.read", tenantPath(tenantA)).must(t, 200)
	e.srv = hs2
	e.get("tenantA.read", tenantPath(tenantA)).must(t, 200)
	if _, ok := s2.auth.token(e.tokens["tenantA.read"]); !ok {
		t.Fatal("the second replica did not cache the token")
	}
	if _, err := store.RevokeToken(ctx, e.pool, tokenID("tenantA.read")); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, "a revocation on the second replica", status("tenantA.read", tenantPath(tenantA)), 401)
	e.srv = hs
	waitStatus(t, "a revocation", status("tenantA.read", tenantPath(tenantA)), 401)

	e.get("tenantA.edit", tenantPath(tenantA)).must(t, 200)
	exec(`DELETE FROM api_token_grants WHERE token_id = $1`, tokenID("tenantA.edit"))
	waitStatus(t, "a removed grant", status("tenantA.edit", tenantPath(tenantA)), 403)

	e.get("groupA.read", orgPath(orgA1)).must(t, 200)
	exec(`UPDATE orgs SET group_id = $1 WHERE id = $2`, groupA2, orgA1)
	waitStatus(t, "an org moved out of the token's group", status("groupA.read", orgPath(orgA1)), 403)

	// A listener that loses its connection turns the cache off, reconnects
	// and turns it on again.
	before, _ := s.auth.generation()
	// The listeners' last statement was their probe.
	exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'SELECT pg_notify($1, $2)' AND pid <> pg_backend_pid()`)
	waitFor(t, "the listener to reconnect", func() bool { gen, live := s.auth.generation(); return live && gen >= before+2 })
	e.get("tenantB.edit", tenantPath(tenantB)).must(t, 200)
	if _, ok := s.auth.token(e.tokens["tenantB.edit"]); !ok {
		t.Fatal("after reconnecting, the cache does not keep tokens")
	}

	// A token's last use is written, and another replica's listener
	// probes, without anything forgotten.
	waitFor(t, "the second replica to listen again", func() bool { _, live := s2.auth.generation(); return live })
	gen, _ := s.auth.generation()
	exec(`SELECT pg_notify($1, 'probe')`, store.AuthChangedChannel)
	exec(`UPDATE api_tokens SET last_used_at = now()`)
	exec(`INSERT INTO tenants (id, name) VALUES ($1, 'C')`, missing)
	time.Sleep(200 * time.Millisecond)
	if now, _ := s.auth.generation(); now != gen {
		t.Fatalf("writing last_used_at or adding a tenant made the cache forget (%d -> %d)", gen, now)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitStatus(t *testing.T, what string, status func() int, want int) {
	t.Helper()
	last := 0
	waitFor(t, fmt.Sprintf("%s to answer %d", what, want), func() bool { last = status(); return last == want })
}
