package index

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

// TestInstants: filters and sorts on dates keep the microseconds
// PostgreSQL keeps; a bound is the instant it names (not its whole second
// or millisecond), and a date without a time is that day's midnight UTC.
func TestInstants(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	r := rand.New(rand.NewPCG(12, 4))
	tenant := fakeUUID(r)
	day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	offsets := []time.Duration{
		0, time.Microsecond, 800 * time.Millisecond, time.Second,
		time.Second + 300*time.Microsecond, time.Second + 700*time.Microsecond, // one millisecond apart
		-time.Microsecond,
	}
	var assets []*store.Asset
	for _, off := range offsets {
		a := plainAsset(r, tenant)
		bt := day.Add(off)
		a.BuiltAt = &bt
		assets = append(assets, a)
	}
	// Outside date_nanos (1970 to 2262): kept, its field unindexed.
	ancient := plainAsset(r, tenant)
	year1 := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	ancient.BuiltAt = &year1
	undated := plainAsset(r, tenant)
	loadAssets(t, c, append(slices.Clone(assets), ancient, undated))

	for _, tc := range []struct {
		filter string
		want   func(bt time.Time) bool
	}{
		{"built_at>2025-01-01T00:00:00Z", func(bt time.Time) bool { return bt.After(day) }},
		{"built_at>2025-01-01", func(bt time.Time) bool { return bt.After(day) }},
		{"built_at>=2025-01-01", func(bt time.Time) bool { return !bt.Before(day) }},
		{"built_at<2025-01-01", func(bt time.Time) bool { return bt.Before(day) }},
		{"built_at==2025-01-01T00:00:00Z", func(bt time.Time) bool { return bt.Equal(day) }},
		{"built_at==2025-01-01", func(bt time.Time) bool { return bt.Equal(day) }},
		{"built_at!=2025-01-01T00:00:00Z", func(bt time.Time) bool { return !bt.Equal(day) }},
		{"built_at<2025-01-01T00:00:01Z", func(bt time.Time) bool { return bt.Before(day.Add(time.Second)) }},
		{"built_at<=2025-01-01T00:00:00.000001Z", func(bt time.Time) bool { return !bt.After(day.Add(time.Microsecond)) }},
		{"built_at>2025-01-01T00:00:01.0003Z", func(bt time.Time) bool { return bt.After(day.Add(time.Second + 300*time.Microsecond)) }},
		{"built_at>=2025-01-01T01:00:01.0003+01:00", func(bt time.Time) bool { return !bt.Before(day.Add(time.Second + 300*time.Microsecond)) }},
		{"built_at=in=(2025-01-01T00:00:00.8Z,2025-01-01T00:00:01Z)", func(bt time.Time) bool {
			return bt.Equal(day.Add(800*time.Millisecond)) || bt.Equal(day.Add(time.Second))
		}},
	} {
		var want []string
		for _, a := range assets {
			if tc.want(*a.BuiltAt) {
				want = append(want, a.ID)
			}
		}
		if tc.filter == "built_at!=2025-01-01T00:00:00Z" {
			want = append(want, ancient.ID, undated.ID)
		}
		if got := sorted(searchIDs(t, c, tenant, tc.filter, nil)); !slices.Equal(got, sorted(want)) {
			t.Errorf("%s: got %v, want %v", tc.filter, got, sorted(want))
		}
	}

	// Sorts order values a microsecond apart; the undated sort last both ways.
	byTime := slices.Clone(assets)
	slices.SortFunc(byTime, func(x, y *store.Asset) int { return x.BuiltAt.Compare(*y.BuiltAt) })
	last := sorted([]string{ancient.ID, undated.ID})
	for _, desc := range []bool{false, true} {
		want := idsOf(byTime)
		if desc {
			slices.Reverse(want)
		}
		want = append(want, last...)
		got := searchIDs(t, c, tenant, "", []SortField{{Name: "built_at", Desc: desc}})
		if !slices.Equal(got, want) {
			t.Errorf("built_at desc=%v: got %v, want %v", desc, got, want)
		}
	}

	// The asset outside date_nanos is stored whole.
	n, _ := rsql.Parse("id==" + ancient.ID)
	res, err := c.Search(context.Background(), SearchRequest{Scope: Scope{TenantID: tenant}, Filter: n})
	if err != nil || len(res.Assets) != 1 || res.Assets[0].BuiltAt == nil || !res.Assets[0].BuiltAt.Equal(year1) {
		t.Errorf("asset built in year 1: %+v, %v", res, err)
	}
}
