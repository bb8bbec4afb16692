package index

import (
	"context"
	"testing"

	"github.com/openinventory/assets/store"
)

func TestSearchable(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	ctx := context.Background()
	assets, _ := synthAssets(3, 11)
	loadAssets(t, c, assets)
	a, b := assets[0], assets[1]
	for _, tc := range []struct {
		name     string
		versions map[string]int64
		want     bool
	}{
		{"both at their versions", map[string]int64{a.ID: a.Version, b.ID: b.Version}, true},
		{"an older version is served by a newer", map[string]int64{a.ID: a.Version - 1}, true},
		{"a version not written yet", map[string]int64{a.ID: a.Version, b.ID: b.Version + 1}, false},
		{"an asset not in the index", map[string]int64{a.ID: a.Version, "99999999-9999-4999-8999-999999999999": 1}, false},
	} {
		got, err := c.Searchable(ctx, tc.versions)
		if err != nil || got != tc.want {
			t.Errorf("%s: Searchable = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	b.Version++
	loadAssets(t, c, []*store.Asset{b})
	if got, err := c.Searchable(ctx, map[string]int64{b.ID: b.Version}); err != nil || !got {
		t.Errorf("after writing and refreshing the new version: %v, %v", got, err)
	}
}
