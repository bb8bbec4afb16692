package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// replica starts another API server over e's database and index, on its
// own listener, with the cursor key the replicas share through PostgreSQL
// (what `assets serve` does without ASSETS_CURSOR_KEY), and returns its
// base URL.
func (e *env) replica(t *testing.T, shared bool) string {
	t.Helper()
	var key []byte
	if shared {
		var err error
		if key, err = LoadCursorKey(context.Background(), e.pool, ""); err != nil {
			t.Fatalf("loading the cursor key: %v", err)
		}
	}
	s, err := New(Config{Pool: e.pool, Index: e.index, CursorKey: key, Registerer: prometheus.NewRegistry(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// across follows pages from first, sending each next link to the other
// replica in turn, and returns what pick takes from every item.
func (e *env) across(t *testing.T, replicas []string, first string, pick func(map[string]any) string) []string {
	t.Helper()
	var got []string
	next := first
	for page := 0; next != ""; page++ {
		if page > 20 {
			t.Fatalf("more than 20 pages from %s", first)
		}
		to := replicas[page%len(replicas)]
		for _, r := range replicas {
			next = strings.Replace(next, r, to, 1)
		}
		res := e.get("tenantA.read", next).must(t, http.StatusOK)
		for _, it := range res.data(t) {
			got = append(got, pick(it))
		}
		next = res.link("next")
	}
	return got
}

func itemID(it map[string]any) string { return it["id"].(string) }

// Two replicas on one database and index: a stored search created on one
// pages on the other, and the cursors of a list and of a group's values
// made by one are accepted by the other.
func TestReplicasShareSearchesAndCursors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(30))
	a, b := e.replica(t, true), e.replica(t, true)
	replicas := []string{a, b}

	loc := e.do(req{method: http.MethodPost, path: a + tenantPath(tenantA) + "/searches" + v, token: "tenantA.read"}).
		must(t, http.StatusFound).header.Get("Location")
	if !strings.HasPrefix(loc, a) {
		t.Fatalf("Location %q is not on the replica that made it (%s)", loc, a)
	}
	// The search's pages are read on b first, then alternately.
	searched := e.across(t, []string{b, a}, loc, itemID)
	if len(searched) != 30 || len(slices.Compact(slices.Sorted(slices.Values(searched)))) != 30 {
		t.Errorf("the search paged %d assets over both replicas (%v), want the 30", len(searched), searched)
	}

	listed := e.across(t, replicas, a+tenantPath(tenantA)+v+"&limit=10", itemID)
	if len(listed) != 30 || len(slices.Compact(slices.Sorted(slices.Values(listed)))) != 30 {
		t.Errorf("the list paged %d assets over both replicas, want the 30", len(listed))
	}

	values := e.across(t, replicas, a+tenantPath(tenantA)+"/groups/"+mustGroupID(t, "repository")+"/values"+v+"&sort=value&limit=10",
		func(it map[string]any) string { return attrs(it)["value"].(string) })
	if len(values) != 30 || !slices.IsSorted(values) {
		t.Errorf("the group values paged %d repositories over both replicas (sorted: %v), want the 30", len(values), slices.IsSorted(values))
	}
}

// The control: a server with a cursor key of its own refuses the cursors
// of the replicas, so the test above proves that the key is shared.
func TestReplicaWithAnotherKeyRefusesCursors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(12))
	a, stranger := e.replica(t, true), e.replica(t, false)
	next := e.get("tenantA.read", a+tenantPath(tenantA)+v+"&limit=10").must(t, http.StatusOK).link("next")
	if next == "" {
		t.Fatal("no next link")
	}
	e.get("tenantA.read", strings.Replace(next, a, stranger, 1)).wantError(t, http.StatusBadRequest, "parameter", "starting_after")
}
