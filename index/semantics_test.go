package index

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

// plainAsset is a minimal container image of one tenant.
func plainAsset(r *rand.Rand, tenant string) *store.Asset {
	return &store.Asset{
		ID: fakeUUID(r), TenantID: tenant, Type: store.AssetTypeContainerImage, ClassRank: 1, Version: 1,
		LastSeenAt: base, CreatedAt: base, UpdatedAt: base,
	}
}

// searchIDs runs a filter and sort over one tenant, paging by two so
// search_after crosses every kind of sort value.
func searchIDs(t *testing.T, c *Client, tenant, filter string, sort []SortField) []string {
	t.Helper()
	req := SearchRequest{Scope: Scope{TenantID: tenant}, Sort: sort, Limit: 2}
	if filter != "" {
		n, err := rsql.Parse(filter)
		if err != nil {
			t.Fatalf("parse %s: %v", filter, err)
		}
		if err := rsql.Validate(n, NewCatalogue()); err != nil {
			t.Fatalf("validate %s: %v", filter, err)
		}
		req.Filter = n
	}
	var ids []string
	for range 100 {
		res, err := c.Search(context.Background(), req)
		if err != nil {
			t.Fatalf("search %s: %v", filter, err)
		}
		ids = append(ids, idsOf(res.Assets)...)
		if !res.HasAfter {
			return ids
		}
		if err := CheckSortValues(sort, res.Last); err != nil {
			t.Fatalf("search %s: the page's sort values do not pass CheckSortValues: %v", filter, err)
		}
		req.SearchAfter = res.Last
	}
	t.Fatal("paging does not end")
	return nil
}

func sorted(ids []string) []string { return slices.Sorted(slices.Values(ids)) }

// TestStoredCaseAndEmpty: exact comparisons, sorts, facets and
// autocomplete see strings as stored (case kept), patterns ignore case,
// and an empty registry is a value, not a missing one.
func TestStoredCaseAndEmpty(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	r := rand.New(rand.NewPCG(12, 3))
	tenant := fakeUUID(r)
	empty, upper, lowerA := plainAsset(r, tenant), plainAsset(r, tenant), plainAsset(r, tenant)
	empty.Repository, empty.Name = "edge/app", "edge/app"
	empty.ConfigDigest = "sha256:EDGEdigestAAA"
	empty.DistributionDigests = []store.DistributionDigest{{ManifestDigest: "sha256:EDGEmanifestBBB", IndexDigest: "sha256:EDGEindexCCC"}}
	upper.Registry, upper.Repository, upper.Name = "Docker.IO", "Library/Nginx", "Docker.IO/Library/Nginx"
	upper.ConfigDigest = "sha256:edgedigestaaa"
	lowerA.Registry, lowerA.Repository, lowerA.Name = "docker.io", "library/nginx", "docker.io/library/nginx"
	loadAssets(t, c, []*store.Asset{empty, upper, lowerA})
	all := []*store.Asset{empty, upper, lowerA}
	ids := func(as ...*store.Asset) []string { return sorted(idsOf(as)) }

	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"config_digest==sha256:EDGEdigestAAA", ids(empty)},
		{"config_digest==sha256:edgedigestaaa", ids(upper)},
		{"config_digest=in=(sha256:EDGEDIGESTAAA)", nil},
		{"config_digest==*EdgeDigest*", ids(empty, upper)},
		{"manifest_digest==sha256:edgemanifestbbb", nil},
		{"manifest_digest==sha256:EDGEmanifestBBB", ids(empty)},
		{"registry==docker.io", ids(lowerA)},
		{"registry=out=(docker.io)", ids(empty, upper)},
		{"registry==*DOCKER*", ids(upper, lowerA)},
		{"repository==Library/Nginx", ids(upper)},
		{"name==docker.io/library/nginx", ids(lowerA)},
		{"registry==*", ids(all...)},
		{"registry!=*", nil},
		{"registry==''", ids(empty)},
		{"registry!=''", ids(upper, lowerA)},
		{"registry<D", ids(empty)},
	} {
		if got := sorted(searchIDs(t, c, tenant, tc.filter, nil)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.filter, got, tc.want)
		}
	}

	// Byte order of the stored values: "" < "Docker.IO" < "docker.io".
	asc := []SortField{{Name: "registry"}}
	if got, want := searchIDs(t, c, tenant, "", asc), idsOf(all); !slices.Equal(got, want) {
		t.Errorf("registry ascending: got %v, want %v", got, want)
	}
	desc := []SortField{{Name: "registry", Desc: true}}
	if got, want := searchIDs(t, c, tenant, "", desc), []string{lowerA.ID, upper.ID, empty.ID}; !slices.Equal(got, want) {
		t.Errorf("registry descending: got %v, want %v", got, want)
	}

	ctx := context.Background()
	for field, want := range map[string][]string{
		"config_digest":   {"sha256:EDGEdigestAAA", "sha256:edgedigestaaa"},
		"manifest_digest": {"sha256:EDGEmanifestBBB"},
		"index_digest":    {"sha256:EDGEindexCCC"},
		"registry":        {"", "Docker.IO", "docker.io"},
		"repository":      {"Library/Nginx", "edge/app", "library/nginx"},
	} {
		res, err := c.FilterValues(ctx, FilterValuesRequest{Scope: Scope{TenantID: tenant}, Field: field, Limit: 10})
		if err != nil {
			t.Fatalf("filter values of %s: %v", field, err)
		}
		var got []string
		for _, v := range res.Values {
			got = append(got, v.Value)
		}
		if !slices.Equal(got, want) {
			t.Errorf("filter values of %s: got %q, want %q", field, got, want)
		}
	}

	// The contract's wildcard example on an enumerated field, as a facet filter.
	filter, err := rsql.Parse("type==*image*;class!=*test*")
	if err != nil {
		t.Fatal(err)
	}
	if err := rsql.Validate(filter, NewCatalogue()); err != nil {
		t.Fatal(err)
	}
	res, err := c.GroupValues(ctx, GroupValuesRequest{Scope: Scope{TenantID: tenant}, Field: "registry", Filter: filter,
		Sort: []SortField{{Name: GroupSortValue}}, Meta: []string{MetaCount}})
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, v := range res.Values {
		groups = append(groups, v.Value)
		if v.Meta == nil || v.Meta.Count != 1 {
			t.Errorf("group %q: meta %+v, want count 1", v.Value, v.Meta)
		}
	}
	if want := []string{"", "Docker.IO", "docker.io"}; !slices.Equal(groups, want) {
		t.Errorf("registry groups: got %q, want %q", groups, want)
	}
}
