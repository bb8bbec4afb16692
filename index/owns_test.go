package index

import (
	"context"
	"slices"
	"testing"

	"github.com/openinventory/assets/internal/testenv"
)

func TestOwns(t *testing.T) {
	t.Parallel()
	c := New(nil, "x")
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"x-initial", true},
		{"x-20250102t030405.123456", true},
		{"x", false},
		{"x-", false},
		{"x-staging-initial", false},
		{"x-staging-20250102t030405.123456", false},
		{"x-20250102t030405.123456-old", false},
		{"x-20250102t030405", false},
		{"x-rejecting", false},
		{"xy-initial", false},
		{"y-initial", false},
	} {
		if got := c.Owns(tc.name); got != tc.want {
			t.Errorf("Owns(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Two deployments on one cluster, one prefix beginning the other: neither
// lists nor deletes the other's indexes.
func TestIndexesIgnoreANeighbourWithALongerPrefix(t *testing.T) {
	t.Parallel()
	es, prefix := testenv.Elasticsearch(t)
	ctx := context.Background()
	x, staging := New(es, prefix), New(es, prefix+"-staging")
	for _, c := range []*Client{x, staging} {
		if err := c.EnsureIndex(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.CreateIndex(ctx, c.NewIndexName()); err != nil {
			t.Fatal(err)
		}
	}
	mine, err := x.Indexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := staging.Indexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 2 || len(theirs) != 2 {
		t.Fatalf("x lists %+v, staging lists %+v; want two each", mine, theirs)
	}
	for _, in := range theirs {
		if slices.ContainsFunc(mine, func(m IndexInfo) bool { return m.Name == in.Name }) {
			t.Errorf("x lists staging's index %s", in.Name)
		}
		if err := x.DeleteIndex(ctx, in.Name); err == nil {
			t.Errorf("x deleted staging's index %s", in.Name)
		}
	}
}
