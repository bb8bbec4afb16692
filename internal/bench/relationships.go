package bench

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"

	"github.com/openinventory/assets/store"
)

// measureRelationships times a page of the projects behind the asset of
// the largest tenant with the most projects (canonical computed, sorted by
// issues) through the API, next to the same store query run in process:
// the difference is HTTP, auth and JSON:API encoding.
func (r *runner) measureRelationships(ctx context.Context) error {
	var assetID string
	var n int
	err := r.pool.QueryRow(ctx, `SELECT p.asset_id::text, count(*) FROM projects p JOIN assets a ON a.id = p.asset_id
		WHERE a.tenant_id = $1 GROUP BY p.asset_id ORDER BY count(*) DESC, p.asset_id LIMIT 1`, r.data.tenantID).Scan(&assetID, &n)
	if errors.Is(err, pgx.ErrNoRows) {
		// A data set reused from before projects were seeded.
		r.rep.add(Measurement{Name: "relationships", Note: "not measured: the data set has no projects (reseed it)"})
		return nil
	}
	if err != nil {
		return fmt.Errorf("finding an asset with projects: %w", err)
	}
	scope, err := store.ResolveScope(ctx, r.pool, store.ScopeTenant, r.data.tenantID)
	if err != nil {
		return err
	}
	q := url.Values{"canonical": {"with"}, "sort": {"-issues"}, "limit": {"100"}}
	apiURL := r.api.url("/"+assetID+"/relationships/projects", q)
	pq := store.ProjectQuery{Sort: store.ProjectSortIssues, Desc: true, Canonical: store.CanonicalWith, Limit: 100}
	pg := side{name: "PostgreSQL", do: func(ctx context.Context) error {
		_, _, err := store.ListAssetProjects(ctx, r.pool, scope, assetID, pq)
		return err
	}}
	stats, err := interleave(ctx, r.lim, r.apiSide(apiURL), pg)
	if err != nil {
		return err
	}
	r.rep.add(Measurement{
		Name:    fmt.Sprintf("relationships: the %d projects of an asset, canonical, by issues", n),
		Request: "GET .../inventory/assets/{asset_id}/relationships/projects?canonical=with&sort=-issues&limit=100",
		Sides:   stats,
	})
	return nil
}
