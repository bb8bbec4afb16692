package index

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/openinventory/assets/rsql"
)

// TestQGramsInElasticsearch checks the gram search against Elasticsearch
// itself: a phrase never spans two values, short terms are prefixes, and
// an asset over the gram cap is still found by the exact path.
func TestQGramsInElasticsearch(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	assets, ids := synthAssets(3, 11)
	small, split, huge := assets[0], assets[1], assets[2]
	for _, a := range assets {
		a.TenantID, a.Labels, a.Tags, a.ImageTags = ids.tenants[0], nil, nil, nil
		a.Registry, a.Repository, a.ConfigDigest, a.DistributionDigests = "r.io", "x", "", nil
	}
	small.Name, small.Labels = "Nginx-Stable", []string{"Prod EU"}
	// "ab" ends one label and "cd" begins the next: "abcd" is in neither.
	split.Name, split.Labels = "other", []string{"xxab", "cdyy"}
	huge.Name = strings.Repeat("z", QGramsPerDocumentDefault) + "NEEDLE-nginx"
	loadAssets(t, c, assets)
	if d := Project(huge); d.QOverflow == nil {
		t.Fatal("the huge asset has grams")
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"nginx", []string{small.ID, huge.ID}},
		{"NGINX-s", []string{small.ID}},
		{"needle", []string{huge.ID}},
		{"d e", []string{small.ID}},
		{"abcd", nil},
		{"bcd", nil},
		{"xa", []string{split.ID}},
		{"y", []string{split.ID}},
		{"zzz", []string{huge.ID}},
		{"eu", []string{small.ID}},
	} {
		n, err := rsql.Parse(`q=="` + tc.q + `"`)
		if err != nil {
			t.Fatal(err)
		}
		got := idsOf(searchAll(t, c, SearchRequest{Scope: Scope{TenantID: ids.tenants[0]}, Filter: n, Limit: 10}))
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("q==%s: got %v, want %v", tc.q, got, tc.want)
		}
	}
	v, err := c.MappingVersionOf(context.Background(), c.Alias())
	if err != nil || v != MappingVersion {
		t.Errorf("mapping version %d (%v), want %d", v, err, MappingVersion)
	}
}
