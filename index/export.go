package index

import (
	"context"
	"fmt"
	"time"

	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

// Defaults of Export.
const (
	// ExportPageSizeDefault is the assets one export page reads: large
	// enough that a request per page costs little, small enough that a
	// page (decoded and encoded) stays a few MiB.
	ExportPageSizeDefault = 1000
	// ExportKeepAliveDefault keeps the point in time of an export alive
	// between two pages: a slow client holds it no longer than this after
	// it stops reading.
	ExportKeepAliveDefault = time.Minute
)

// ExportRequest is every asset in scope matching a filter, in sort order.
type ExportRequest struct {
	Scope     Scope
	Filter    rsql.Node
	Sort      []SortField
	PageSize  int           // ExportPageSizeDefault when zero
	KeepAlive time.Duration // ExportKeepAliveDefault when zero
	// Attributes, when set, reads the stored attributes (ExportPage.Hits).
	Attributes *AttributeSelection
}

// ExportPage is one page of an export, and the point in time it was read
// from (the export closes it at the end).
type ExportPage struct {
	Assets []*store.Asset
	Hits   []AttributesHit // instead of Assets with ExportRequest.Attributes
	PIT    string
}

// Export reads every matching asset from one point in time (a consistent
// snapshot), page by page with search_after, and hands each page to fn
// before it reads the next: memory holds one page whatever the total. It
// closes the point in time when it returns, whatever happened.
func (c *Client) Export(ctx context.Context, r ExportRequest, fn func(ExportPage) error) (err error) {
	size := r.PageSize
	if size <= 0 {
		size = ExportPageSizeDefault
	}
	keep := r.KeepAlive
	if keep <= 0 {
		keep = ExportKeepAliveDefault
	}
	pit, err := c.OpenPIT(ctx, keep)
	if err != nil {
		return fmt.Errorf("exporting: %w", err)
	}
	defer func() {
		// Closed even when ctx ended: the point in time would otherwise
		// hold its segments for keep.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if cerr := c.ClosePIT(cctx, pit); cerr != nil && err == nil {
			err = fmt.Errorf("exporting: %w", cerr)
		}
	}()
	var after []any
	read := 0
	for {
		res, err := c.Search(ctx, SearchRequest{Scope: r.Scope, Filter: r.Filter, Sort: r.Sort, Limit: size,
			PIT: pit, KeepAlive: keep, SearchAfter: after, Attributes: r.Attributes})
		if err != nil {
			return fmt.Errorf("exporting, after %d assets: %w", read, err)
		}
		if res.PIT != "" {
			pit = res.PIT
		}
		n := len(res.Assets) + len(res.Hits)
		if n > 0 {
			if err := fn(ExportPage{Assets: res.Assets, Hits: res.Hits, PIT: pit}); err != nil {
				return err
			}
			read += n
		}
		if !res.HasAfter || n == 0 {
			return nil
		}
		after = res.Last
	}
}
