package index

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

// newSmallFixture is a fixture of 60 assets: enough values to pass small
// bounds, quick to load.
func newSmallFixture(t *testing.T) *fixture {
	t.Helper()
	c := newTestClient(t)
	assets, ids := synthAssets(60, 11)
	loadAssets(t, c, assets)
	return &fixture{c: c, assets: assets, ids: ids}
}

// TestGroupValuesBound checks that a group values request that would
// collect more values than MaxBuckets is a request error asking for a
// filter, while the same request within the bound (or narrowed by a
// filter) is answered.
func TestGroupValuesBound(t *testing.T) {
	t.Parallel()
	f := newSmallFixture(t)
	c, ctx, tenant := f.c, context.Background(), f.ids.tenants[0]
	mine := f.tenantAssets(tenant, func(a *store.Asset) bool { return len(a.ImageTags) > 0 })
	distinct := len(groupOracle(f.tenantAssets(tenant, nil), "image_tag"))
	if distinct < 4 {
		t.Fatalf("the fixture has %d image tags in the tenant, too few to test the bound", distinct)
	}
	req := GroupValuesRequest{Scope: Scope{TenantID: tenant}, Field: "image_tag", MaxBuckets: distinct - 1}
	_, err := c.GroupValues(ctx, req)
	detail, ok := InvalidDetail(err)
	if !ok || !strings.Contains(detail, "add a filter") {
		t.Fatalf("over the bound: err = %v, want a request error asking for a filter", err)
	}
	req.MaxBuckets = distinct
	if res, err := c.GroupValues(ctx, req); err != nil || len(res.Values) == 0 {
		t.Fatalf("at the bound: %v, %+v", err, res)
	}
	narrow := req
	narrow.MaxBuckets = distinct - 1
	narrow.Filter, _ = rsql.Parse(`image_tag=="` + mine[0].ImageTags[0] + `"`)
	if res, err := c.GroupValues(ctx, narrow); err != nil || len(res.Values) == 0 {
		t.Fatalf("narrowed by a filter: %v, %+v", err, res)
	}
	// The client-wide cap still applies under a larger request bound.
	capped := *c
	capped.MaxGroupValues = 2
	req.MaxBuckets = 0
	if _, err := capped.GroupValues(ctx, req); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("over MaxGroupValues: err = %v, want a request error", err)
	}
}

// TestFilterValuesBound checks that a filter values request that reads
// MaxPages aggregation pages without filling its page is a request error
// asking for a longer q, that the same request with room is answered, and
// that q on a number or date field is refused.
func TestFilterValuesBound(t *testing.T) {
	t.Parallel()
	f := newSmallFixture(t)
	c, ctx, ids := f.c, context.Background(), f.ids
	req := FilterValuesRequest{Scope: Scope{TenantID: ids.tenants[0]}, Field: "image_tag", Limit: 3, MaxPages: 2, pageSize: 1}
	_, err := c.FilterValues(ctx, req)
	if detail, ok := InvalidDetail(err); !ok || !strings.Contains(detail, "longer q") {
		t.Fatalf("over the bound: err = %v, want a request error asking for a longer q", err)
	}
	req.MaxPages = 0 // the default leaves room for the 4 values the page needs
	if res, err := c.FilterValues(ctx, req); err != nil || len(res.Values) != 3 || !res.HasAfter {
		t.Fatalf("within the bound: %v, %+v", err, res)
	}
	for _, field := range []string{"risk_score", "built_at"} {
		r := FilterValuesRequest{Scope: Scope{TenantID: ids.tenants[0]}, Field: field, Q: "20"}
		if _, err := c.FilterValues(ctx, r); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("q on %s: err = %v, want a request error", field, err)
		}
		r.Q = ""
		if _, err := c.FilterValues(ctx, r); err != nil {
			t.Errorf("%s without q: %v", field, err)
		}
	}
}
