package index

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/openinventory/assets/rsql"
)

// TestExportMatchesSearch: an export in small pages is the paged search's
// assets in the same order, and closes its point in time.
func TestExportMatchesSearch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	filter, err := rsql.Parse("registry!=quay.io")
	if err != nil {
		t.Fatal(err)
	}
	scope := Scope{TenantID: f.ids.tenants[0]}
	for _, sort := range [][]SortField{nil, {{Name: "registry"}, {Name: "created_at", Desc: true}}} {
		want := idsOf(searchAll(t, f.c, SearchRequest{Scope: scope, Filter: filter, Sort: sort, Limit: 100}))
		var got []string
		var pits []string
		pages := 0
		err := f.c.Export(ctx, ExportRequest{Scope: scope, Filter: filter, Sort: sort, PageSize: 17}, func(p ExportPage) error {
			pages++
			if len(p.Assets) > 17 {
				t.Errorf("a page of %d assets, want at most 17", len(p.Assets))
			}
			got = append(got, idsOf(p.Assets)...)
			pits = append(pits, p.PIT)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(want) < 40 || !slices.Equal(got, want) {
			t.Fatalf("sort %v: export has %d ids, search %d, or another order", sort, len(got), len(want))
		}
		if pages != (len(want)+16)/17 {
			t.Errorf("%d pages for %d assets", pages, len(want))
		}
		// The point in time is closed: a search in it fails.
		_, err = f.c.Search(ctx, SearchRequest{Scope: scope, PIT: pits[len(pits)-1]})
		if err == nil {
			t.Errorf("the point in time of the export is still open")
		}
	}
}

// TestExportStopsOnError: an error of fn, or a point in time closed under
// the export, ends it with that error.
func TestExportStopsOnError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	scope := Scope{TenantID: f.ids.tenants[0]}
	stop := errors.New("client went away")
	pages := 0
	err := f.c.Export(ctx, ExportRequest{Scope: scope, PageSize: 10}, func(ExportPage) error { pages++; return stop })
	if !errors.Is(err, stop) || pages != 1 {
		t.Errorf("fn error: %v after %d pages", err, pages)
	}
	pages = 0
	err = f.c.Export(ctx, ExportRequest{Scope: scope, PageSize: 10}, func(p ExportPage) error {
		pages++
		return f.c.ClosePIT(ctx, p.PIT)
	})
	if err == nil || pages != 1 {
		t.Errorf("closed point in time: %v after %d pages", err, pages)
	}
}
