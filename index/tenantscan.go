package index

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"time"
)

// tenantScanPage is the number of hits per request of a tenant scan.
const tenantScanPage = 5000

// TenantDoc is one indexed document of a tenant scan. Digest is the SHA-256
// of its _source as stored (zero when the scan skipped sources).
type TenantDoc struct {
	ID      string
	Version int64
	Digest  [sha256.Size]byte
}

// Digests streams the id, version and source digest of every document of
// a tenant from one point in time: `assets verify` compares the digest with
// that of the document PostgreSQL projects now (Document.Digest), which
// catches content drift under an unchanged version.
func (c *Client) Digests(ctx context.Context, tenantID string, fn func(TenantDoc) error) error {
	return c.scanTenant(ctx, tenantID, true, fn)
}

// scanTenant pages through a tenant's documents with a point in time and
// search_after on _shard_doc, the cheapest full scan.
func (c *Client) scanTenant(ctx context.Context, tenantID string, source bool, fn func(TenantDoc) error) (err error) {
	q, err := scopedQuery(Scope{TenantID: tenantID}, nil)
	if err != nil {
		return err
	}
	pit, err := c.OpenPIT(ctx, 2*time.Minute)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := c.ClosePIT(context.WithoutCancel(ctx), pit); err == nil {
			err = cerr
		}
	}()
	var after []any
	for {
		body := Query{
			"query": q, "size": tenantScanPage, "_source": source, "version": true,
			"track_total_hits": false,
			"sort":             []any{Query{"_shard_doc": "asc"}},
			"pit":              Query{"id": pit, "keep_alive": "2m"},
		}
		if after != nil {
			body["search_after"] = after
		}
		var res searchResponse
		if err := c.do(ctx, http.MethodPost, "/_search", body, &res); err != nil {
			return fmt.Errorf("reading the documents of tenant %s: %w", tenantID, err)
		}
		if res.PITID != "" {
			pit = res.PITID
		}
		for _, h := range res.Hits.Hits {
			d := TenantDoc{ID: h.ID, Version: h.Version}
			if source {
				d.Digest = sha256.Sum256(h.Source)
			}
			if err := fn(d); err != nil {
				return err
			}
		}
		if len(res.Hits.Hits) < tenantScanPage {
			return nil
		}
		after = res.Hits.Hits[len(res.Hits.Hits)-1].Sort
	}
}
