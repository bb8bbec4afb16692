package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-fuego/fuego"

	"github.com/openinventory/assets/store"
)

// The relationships of an asset: the Snyk projects and targets behind it,
// read from PostgreSQL. A token sees the asset as for GET of one asset (a
// 404 otherwise), and of its projects and targets only those of the orgs
// the path's scope covers (store.ListAssetProjects): a token granted one
// org of a shared image does not see another org's scans of it.

// ProjectRelationshipListDocument is a page of an asset's projects.
type ProjectRelationshipListDocument struct {
	Data    []ProjectResource `json:"data"`
	JSONAPI JSONAPIVersion    `json:"jsonapi"`
	Links   PaginationLinks   `json:"links"`
}

// ProjectResource is one project of an asset.
type ProjectResource struct {
	ID         string            `json:"id"`
	Type       string            `json:"type"`
	Attributes ProjectAttributes `json:"attributes"`
}

// ProjectAttributes are the contract's ProjectRelationshipAttributes.
// IsCanonical is set only when the request asks with canonical.
type ProjectAttributes struct {
	BaseImageRemediation map[string]any    `json:"base_image_remediation,omitempty"`
	IsCanonical          *bool             `json:"is_canonical,omitempty"`
	Issues               store.IssueCounts `json:"issues"`
	MonitorCreatedAt     *time.Time        `json:"monitor_created_at,omitempty"`
	MonitorID            string            `json:"monitor_id,omitempty"`
	OrgID                string            `json:"org_id"`
	ProjectType          string            `json:"project_type,omitempty"`
	RiskScore            *int32            `json:"risk_score,omitempty"`
	SnapshotCreatedAt    time.Time         `json:"snapshot_created_at"`
	SnapshotID           string            `json:"snapshot_id,omitempty"`
	TargetFile           string            `json:"target_file"`
	TargetID             string            `json:"target_id,omitempty"`
	TargetOrigin         string            `json:"target_origin,omitempty"`
	TargetRef            string            `json:"target_ref,omitempty"`
}

// TargetRelationshipListDocument is a page of an asset's targets.
type TargetRelationshipListDocument struct {
	Data    []TargetResource `json:"data"`
	JSONAPI JSONAPIVersion   `json:"jsonapi"`
	Links   PaginationLinks  `json:"links"`
}

// TargetResource is one target of an asset.
type TargetResource struct {
	ID         string           `json:"id"`
	Type       string           `json:"type"`
	Attributes TargetAttributes `json:"attributes"`
}

// TargetAttributes are the contract's TargetRelationshipAttributes.
type TargetAttributes struct {
	ImportedAt    *time.Time `json:"imported_at,omitempty"`
	IntegrationID string     `json:"integration_id,omitempty"`
	TargetFile    string     `json:"target_file,omitempty"`
	TargetOrigin  string     `json:"target_origin,omitempty"`
	TargetRef     string     `json:"target_ref,omitempty"`
}

// projectSorts are the values of the projects' sort parameter.
var projectSorts = []string{store.ProjectSortSnapshot, "-" + store.ProjectSortSnapshot, store.ProjectSortIssues, "-" + store.ProjectSortIssues}

// relationshipQuery declares the parameters of the projects operations
// beside paging.
func projectParams() []fuego.RouteOption {
	return []fuego.RouteOption{
		query("canonical", "with: every project, is_canonical set; only: the canonical projects (those counted for the asset); "+
			"none: the others. Without it, every project and no is_canonical.",
			stringEnum(store.CanonicalWith, store.CanonicalOnly, store.CanonicalNone)),
		query("target_id", "Only the projects of this target", openapi3.NewUUIDSchema()),
		query("sort", "snapshot_created_at or issues (critical, then high, medium, low); prefix - for descending. Default snapshot_created_at.",
			stringEnum(projectSorts...)),
	}
}

// assetInPath reads the scope and asset of a relationships request.
func (s *Server) assetInPath(r *http.Request) (access, string, error) {
	acc, err := s.begin(r, store.Read)
	if err != nil {
		return access{}, "", err
	}
	id, err := pathUUID(r, "asset_id")
	return acc, id, err
}

// parseProjectQuery reads sort, canonical and target_id, and the cursor.
func parseProjectQuery(r *http.Request, acc access, assetID string) (store.ProjectQuery, page, error) {
	q := r.URL.Query()
	var pq store.ProjectQuery
	var err error
	if pq.Limit, err = parseLimit(q); err != nil {
		return pq, page{}, err
	}
	sort := q.Get("sort")
	switch sort {
	case "", store.ProjectSortSnapshot, "-" + store.ProjectSortSnapshot, store.ProjectSortIssues, "-" + store.ProjectSortIssues:
		pq.Desc = strings.HasPrefix(sort, "-")
		pq.Sort = strings.TrimPrefix(sort, "-")
		if pq.Sort == "" {
			pq.Sort = store.ProjectSortSnapshot
		}
	default:
		return pq, page{}, badParameter("sort", "sort must be one of %s.", strings.Join(projectSorts, ", "))
	}
	switch pq.Canonical = q.Get("canonical"); pq.Canonical {
	case store.CanonicalAll, store.CanonicalWith, store.CanonicalOnly, store.CanonicalNone:
	default:
		return pq, page{}, badParameter("canonical", "canonical must be with, only or none.")
	}
	if t := q.Get("target_id"); t != "" {
		var ok bool
		if pq.TargetID, ok = parseUUID(t); !ok {
			return pq, page{}, badParameter("target_id", "The target_id must be a UUID.")
		}
	}
	hash := queryHash("projects", acc.scope.Kind, acc.scope.ID, assetID, pq.Sort, fmt.Sprint(pq.Desc), pq.Canonical, pq.TargetID)
	pg, err := parsePage(r, hash)
	if err != nil {
		return pq, pg, err
	}
	if pq.After, err = projectKey(pg.after, pq.Sort, "starting_after"); err != nil {
		return pq, pg, err
	}
	pq.Before, err = projectKey(pg.before, pq.Sort, "ending_before")
	return pq, pg, err
}

// projectCursor is the cursor of a project in the sort of pq.
func projectCursor(pq store.ProjectQuery, p store.Project) cursor {
	if pq.Sort == store.ProjectSortIssues {
		return cursor{ID: p.ID, Sort: []any{p.Issues.Critical, p.Issues.High, p.Issues.Medium, p.Issues.Low}}
	}
	return cursor{ID: p.ID, Sort: []any{p.SnapshotCreatedAt.Format(time.RFC3339Nano)}}
}

// projectKey reads the position a cursor carries, refusing one whose values
// do not fit the sort.
func projectKey(c *cursor, sort, param string) (*store.ProjectKey, error) {
	if c == nil {
		return nil, nil
	}
	bad := badParameter(param, "The cursor does not fit this sort; use the links of a previous page of this same query.")
	if _, ok := parseUUID(c.ID); !ok {
		return nil, bad
	}
	k := &store.ProjectKey{ID: c.ID}
	if sort == store.ProjectSortIssues {
		if len(c.Sort) != 4 {
			return nil, bad
		}
		counts := make([]int32, 4)
		for i, v := range c.Sort {
			n, ok := v.(json.Number)
			x, err := n.Int64()
			if !ok || err != nil || x < 0 || x > 1<<31-1 {
				return nil, bad
			}
			counts[i] = int32(x)
		}
		k.Issues = store.IssueCounts{Critical: counts[0], High: counts[1], Medium: counts[2], Low: counts[3]}
		return k, nil
	}
	if len(c.Sort) != 1 {
		return nil, bad
	}
	s, _ := c.Sort[0].(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, bad
	}
	k.SnapshotCreatedAt = t
	return k, nil
}

// listAssetProjects answers GET .../inventory/assets/{asset_id}/relationships/projects.
func (s *Server) listAssetProjects(c fuego.ContextNoBody) (*ProjectRelationshipListDocument, error) {
	r := c.Request()
	acc, assetID, err := s.assetInPath(r)
	if err != nil {
		return nil, err
	}
	pq, pg, err := parseProjectQuery(r, acc, assetID)
	if err != nil {
		return nil, err
	}
	ps, more, err := store.ListAssetProjects(r.Context(), s.pool, acc.scope, assetID, pq)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("The asset was not found.")
	}
	if err != nil {
		return nil, err
	}
	doc := &ProjectRelationshipListDocument{Data: make([]ProjectResource, 0, len(ps)), JSONAPI: jsonapi10}
	for _, p := range ps {
		doc.Data = append(doc.Data, projectResource(p, pq.Canonical != store.CanonicalAll))
	}
	hasAfter, hasBefore := more, pg.after != nil
	if pq.Before != nil {
		hasAfter, hasBefore = true, more
	}
	doc.Links = pg.links(len(ps), hasAfter, hasBefore, func(last bool) cursor {
		if last {
			return projectCursor(pq, ps[len(ps)-1])
		}
		return projectCursor(pq, ps[0])
	})
	return doc, nil
}

func projectResource(p store.Project, canonical bool) ProjectResource {
	at := ProjectAttributes{Issues: p.Issues, MonitorCreatedAt: p.MonitorCreatedAt, MonitorID: p.MonitorID, OrgID: p.OrgID,
		ProjectType: p.ProjectType, RiskScore: p.RiskScore, SnapshotCreatedAt: p.SnapshotCreatedAt, SnapshotID: p.SnapshotID,
		TargetFile: p.TargetFile, TargetID: p.TargetID, TargetOrigin: p.TargetOrigin, TargetRef: p.TargetRef}
	if canonical {
		at.IsCanonical = &p.IsCanonical
	}
	if len(p.BaseImageRemediation) > 0 {
		_ = json.Unmarshal(p.BaseImageRemediation, &at.BaseImageRemediation) // an object, by the table's CHECK
	}
	return ProjectResource{ID: p.ID, Type: "project", Attributes: at}
}

// listAssetTargets answers GET .../inventory/assets/{asset_id}/relationships/targets.
func (s *Server) listAssetTargets(c fuego.ContextNoBody) (*TargetRelationshipListDocument, error) {
	r := c.Request()
	acc, assetID, err := s.assetInPath(r)
	if err != nil {
		return nil, err
	}
	limit, err := parseLimit(r.URL.Query())
	if err != nil {
		return nil, err
	}
	pg, err := parsePage(r, queryHash("targets", acc.scope.Kind, acc.scope.ID, assetID))
	if err != nil {
		return nil, err
	}
	after, before := pg.ids()
	ts, more, err := store.ListAssetTargets(r.Context(), s.pool, acc.scope, assetID, store.TargetQuery{Limit: limit, After: after, Before: before})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("The asset was not found.")
	}
	if err != nil {
		return nil, err
	}
	doc := &TargetRelationshipListDocument{Data: make([]TargetResource, 0, len(ts)), JSONAPI: jsonapi10}
	for _, t := range ts {
		doc.Data = append(doc.Data, TargetResource{ID: t.ID, Type: "target", Attributes: TargetAttributes{ImportedAt: t.ImportedAt,
			IntegrationID: t.IntegrationID, TargetFile: t.TargetFile, TargetOrigin: t.TargetOrigin, TargetRef: t.TargetRef}})
	}
	hasAfter, hasBefore := more, after != ""
	if before != "" {
		hasAfter, hasBefore = true, more
	}
	doc.Links = pg.links(len(ts), hasAfter, hasBefore, idEdges(ts, func(t store.Target) string { return t.ID }))
	return doc, nil
}
