package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/openinventory/assets/store"
)

const (
	tokenX = "77777777-7777-4777-8777-777777777771"
	tokenY = "77777777-7777-4777-8777-777777777772"
)

func tenantScope(id string) store.Scope {
	return store.Scope{Kind: store.ScopeTenant, ID: id, TenantID: id}
}

func TestCreateSearchCaps(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	limits := store.SearchLimits{PerToken: 2, PerTenant: 3}
	create := func(tenant, token string) error {
		_, err := store.CreateSearch(ctx, pool, tenantScope(tenant), token, "", "", nil, time.Hour, limits)
		return err
	}
	for range 2 {
		if err := create(tenantA, tokenX); err != nil {
			t.Fatal(err)
		}
	}
	var le *store.SearchLimitError
	if err := create(tenantA, tokenX); !errors.As(err, &le) || le.Of != "token" || le.Limit != 2 {
		t.Fatalf("third search of a token: %v", err)
	}
	if le.RetryAfter < 59*time.Minute || le.RetryAfter > time.Hour {
		t.Errorf("RetryAfter = %v, want about an hour", le.RetryAfter)
	}
	if err := create(tenantA, tokenY); err != nil {
		t.Fatalf("another token: %v", err)
	}
	if err := create(tenantA, tokenY); !errors.As(err, &le) || le.Of != "tenant" || le.Limit != 3 {
		t.Fatalf("fourth search of a tenant: %v", err)
	}
	if err := create(tenantB, tokenY); err != nil {
		t.Fatalf("another tenant: %v", err)
	}
	// Expired searches do not count.
	if _, err := pool.Exec(ctx, `UPDATE searches SET expires_at = now() - interval '1 second' WHERE token_id = $1`, tokenX); err != nil {
		t.Fatal(err)
	}
	if err := create(tenantA, tokenX); err != nil {
		t.Fatalf("after the token's searches expired: %v", err)
	}
	// No limits: no cap.
	if _, err := store.CreateSearch(ctx, pool, tenantScope(tenantA), tokenX, "", "", nil, time.Hour, store.SearchLimits{}); err != nil {
		t.Fatal(err)
	}
}

// Concurrent creates cannot pass the cap together.
func TestCreateSearchCapHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	const limit, tries = 3, 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, refused := 0, 0
	for range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := store.CreateSearch(ctx, pool, tenantScope(tenantA), tokenX, "", "", nil, time.Hour, store.SearchLimits{PerToken: limit})
			var le *store.SearchLimitError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case errors.As(err, &le):
				refused++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if created != limit || refused != tries-limit {
		t.Errorf("created %d, refused %d; want %d and %d", created, refused, limit, tries-limit)
	}
}

func TestReapExpiredSearches(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	var ids []string
	for i, pit := range []string{"pit-a", "", "pit-c", "pit-live"} {
		sr, err := store.CreateSearch(ctx, pool, tenantScope(tenantA), tokenX, "", "", nil, time.Hour, store.SearchLimits{})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.SetSearchPIT(ctx, pool, sr.ID, "", pit); err != nil {
			t.Fatal(err)
		}
		if i < 3 {
			ids = append(ids, sr.ID)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE searches SET expires_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])`, ids); err != nil {
		t.Fatal(err)
	}
	// A failing close deletes nothing.
	boom := errors.New("unreachable")
	if _, err := store.ReapExpiredSearches(ctx, pool, 100, func(context.Context, string) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("reap with a failing close: %v", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM searches`); n != 4 {
		t.Fatalf("%d searches left after a failed reap, want 4", n)
	}
	var closed []string
	n, err := store.ReapExpiredSearches(ctx, pool, 100, func(_ context.Context, pit string) error {
		closed = append(closed, pit)
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("reaped %d, %v; want 3", n, err)
	}
	if len(closed) != 2 || closed[0] == "pit-live" || closed[1] == "pit-live" {
		t.Errorf("closed %v, want pit-a and pit-c", closed)
	}
	if n := count(t, pool, `SELECT count(*) FROM searches WHERE pit = 'pit-live'`); n != 1 {
		t.Errorf("the live search is gone")
	}
}

func TestSetSearchPITReplacesOnlyTheOldID(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	sr, err := store.CreateSearch(ctx, pool, tenantScope(tenantA), "", "", "", nil, time.Hour, store.SearchLimits{PerToken: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct{ old, pit string }{{"", "p1"}, {"p1", "p2"}, {"p1", "stale"}} {
		if err := store.SetSearchPIT(ctx, pool, sr.ID, step.old, step.pit); err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.GetSearch(ctx, pool, sr.Scope, sr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PIT != "p2" || got.Remaining <= 59*time.Minute || got.Remaining > time.Hour {
		t.Errorf("search = pit %q, remaining %v", got.PIT, got.Remaining)
	}
}
