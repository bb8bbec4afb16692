package index

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

// Scope is where a read looks: always one tenant, and optionally one group
// (assets used in the group's orgs) or one org. It comes from the path and
// the token, never from the filter.
type Scope struct {
	TenantID string
	GroupID  string
	OrgID    string
}

// filters are the scope's term filters; an empty tenant is an error so no
// read can run unscoped.
func (s Scope) filters() ([]any, error) {
	if s.TenantID == "" {
		return nil, invalidf("no tenant in scope")
	}
	fs := []any{term("tenant_id", s.TenantID)}
	if s.GroupID != "" {
		fs = append(fs, term("group_ids", s.GroupID))
	}
	if s.OrgID != "" {
		fs = append(fs, term("org_ids", s.OrgID))
	}
	return fs, nil
}

// scopedQuery is the scope filters and the translated filter (may be nil).
func scopedQuery(s Scope, filter rsql.Node) (Query, error) {
	fs, err := s.filters()
	if err != nil {
		return nil, err
	}
	if filter != nil {
		q, err := Translate(filter)
		if err != nil {
			return nil, err
		}
		fs = append(fs, q)
	}
	return Query{"bool": Query{"filter": fs}}, nil
}

// SortField is one requested sort key, by catalogue name.
type SortField struct {
	Name string
	Desc bool
}

// CountMode says whether Search counts the matches.
type CountMode int

const (
	CountNone CountMode = iota
	CountWith           // hits and the exact total
	CountOnly           // the exact total, no hits
)

// SearchRequest is one page of a list or stored search.
type SearchRequest struct {
	Scope  Scope
	Filter rsql.Node // nil: everything in scope
	Sort   []SortField
	Limit  int // page size; DefaultLimit when zero
	// At most one of SearchAfter / SearchBefore: the sort values of the
	// last (first) hit of the previous (next) page, as returned in
	// SearchResult.Sort. Decode them from cursors with json.Decoder.UseNumber:
	// date and long sort values do not survive float64.
	SearchAfter  []any
	SearchBefore []any
	Count        CountMode
	// PIT is a point-in-time id (OpenPIT) for results that do not move
	// while a stored search is paged. KeepAlive extends it by that much,
	// in whole seconds rounded down so a caller's deadline is never passed;
	// under a second it is not extended at all.
	PIT       string
	KeepAlive time.Duration
	// Attributes, when set, reads only the stored attributes of each hit
	// (SearchResult.Hits instead of Assets).
	Attributes *AttributeSelection
}

// SearchResult is one page, in the requested order.
type SearchResult struct {
	Assets []*store.Asset
	// Hits replaces Assets when the request had Attributes.
	Hits []AttributesHit
	// Sort holds each asset's sort values; First and Last those of the
	// first and last asset (nil when the page is empty), for cursors.
	Sort        [][]any
	First, Last []any
	// HasBefore / HasAfter: more results exist before the first and after
	// the last asset (the side the request came from is assumed to exist).
	HasBefore, HasAfter bool
	Total               *int64 // with CountWith or CountOnly
	PIT                 string // the possibly renewed point-in-time id
}

// esSort builds the sort clause. Missing values sort last in both
// directions; reverse (for SearchBefore) flips order and missing together,
// so reversing the hits restores the forward order. id breaks ties.
func esSort(sort []SortField, reverse bool) ([]any, error) {
	out := make([]any, 0, len(sort)+1)
	for _, s := range sort {
		def, ok := defaultCatalogue.SortByName(s.Name)
		if !ok {
			return nil, invalidf("unknown sort field %q", s.Name)
		}
		desc, missing := s.Desc, "_last"
		if reverse {
			desc, missing = !desc, "_first"
		}
		order := map[bool]string{false: "asc", true: "desc"}[desc]
		for _, f := range def.esFields {
			out = append(out, Query{f: Query{"order": order, "missing": missing, "unmapped_type": "keyword"}})
		}
	}
	out = append(out, Query{"id": Query{"order": map[bool]string{false: "asc", true: "desc"}[reverse]}})
	return out, nil
}

// hitsResponse is a _search answer whose hits decode as H.
type hitsResponse[H any] struct {
	PITID string `json:"pit_id"`
	Hits  struct {
		Total *struct {
			Value int64 `json:"value"`
		} `json:"total"`
		Hits []H `json:"hits"`
	} `json:"hits"`
}

// searchHit is a hit with its whole _source.
type searchHit struct {
	ID      string          `json:"_id"`
	Version int64           `json:"_version"`
	Source  json.RawMessage `json:"_source"`
	Sort    []any           `json:"sort"`
}

type searchResponse = hitsResponse[searchHit]

// sendSearch sends r's request, decodes the answer into res and returns
// the result's point in time and total.
func sendSearch[H any](ctx context.Context, c *Client, r SearchRequest, res *hitsResponse[H]) (*SearchResult, error) {
	req, err := r.request(c.alias)
	if err != nil {
		return nil, err
	}
	if err := c.do(ctx, req.Method, req.Path, req.Body, res); err != nil {
		return nil, fmt.Errorf("searching %s: %w", c.alias, err)
	}
	out := &SearchResult{PIT: res.PITID}
	if r.Count != CountNone && res.Hits.Total != nil {
		total := res.Hits.Total.Value
		out.Total = &total
	}
	return out, nil
}

// keepAlive is d in whole seconds, rounded down: a point in time kept
// alive for it never outlives the deadline d was measured to. ok is false
// under a second.
func keepAlive(d time.Duration) (s string, ok bool) {
	secs := int64(d / time.Second)
	return fmt.Sprintf("%ds", secs), secs > 0
}

// request is the request Search sends for r (see Diagnose): the alias's
// _search, or _search alone with a point in time. The body asks for one
// hit more than the page: the extra one tells whether another page
// follows.
func (r SearchRequest) request(alias string) (Request, error) {
	if r.SearchAfter != nil && r.SearchBefore != nil {
		return Request{}, invalidf("both search_after and search_before")
	}
	query, err := scopedQuery(r.Scope, r.Filter)
	if err != nil {
		return Request{}, err
	}
	body := Query{"query": query, "track_total_hits": r.Count != CountNone}
	if r.Count == CountOnly {
		body["size"] = 0
	} else {
		backward := r.SearchBefore != nil
		sort, err := esSort(r.Sort, backward)
		if err != nil {
			return Request{}, err
		}
		body["sort"] = sort
		body["size"] = limitOr(r.Limit) + 1
		if r.Attributes != nil {
			body["_source"] = r.Attributes.source()
		}
		if backward {
			body["search_after"] = searchAfter(r.Sort, r.SearchBefore, r.PIT != "")
		} else if r.SearchAfter != nil {
			body["search_after"] = searchAfter(r.Sort, r.SearchAfter, r.PIT != "")
		}
	}
	path := searchPath(alias)
	if r.PIT != "" {
		pit := Query{"id": r.PIT}
		if ka, ok := keepAlive(r.KeepAlive); ok {
			pit["keep_alive"] = ka
		}
		body["pit"] = pit
		path = "/_search"
	}
	return Request{Method: http.MethodPost, Path: path, Body: body}, nil
}

// searchPath is the _search endpoint of an alias.
func searchPath(alias string) string { return "/" + alias + "/_search" }

// Search returns one page of assets in scope matching the filter.
func (c *Client) Search(ctx context.Context, r SearchRequest) (*SearchResult, error) {
	if r.Attributes != nil && r.Count != CountOnly {
		return c.searchAttributes(ctx, r)
	}
	var res searchResponse
	out, err := sendSearch(ctx, c, r, &res)
	if err != nil {
		return nil, err
	}
	if r.Count == CountOnly {
		return out, nil
	}
	hits := pageHits(r, res.Hits.Hits, out)
	out.Assets = make([]*store.Asset, len(hits))
	out.Sort = make([][]any, len(hits))
	for i, h := range hits {
		a, err := DecodeAsset(h.Source)
		if err != nil {
			return nil, fmt.Errorf("searching %s: document %s: %w", c.alias, h.ID, err)
		}
		out.Assets[i], out.Sort[i] = a, h.Sort
	}
	if len(hits) > 0 {
		out.First, out.Last = out.Sort[0], out.Sort[len(hits)-1]
	}
	return out, nil
}

// pageHits cuts the extra hit off (it only tells that more follow), puts
// backward hits in forward order and sets out's HasBefore and HasAfter.
func pageHits[H any](r SearchRequest, hits []H, out *SearchResult) []H {
	limit := limitOr(r.Limit)
	more := len(hits) > limit
	if more {
		hits = hits[:limit]
	}
	if r.SearchBefore != nil {
		slices.Reverse(hits)
		out.HasBefore, out.HasAfter = more, true
	} else {
		out.HasBefore, out.HasAfter = r.SearchAfter != nil, more
	}
	return hits
}

// OpenPIT opens a point in time on the alias for stable paging, kept alive
// for keep rounded down to whole seconds (at least one).
func (c *Client) OpenPIT(ctx context.Context, keep time.Duration) (string, error) {
	var res struct {
		ID string `json:"id"`
	}
	ka, ok := keepAlive(keep)
	if !ok {
		ka, _ = keepAlive(time.Second)
	}
	if err := c.do(ctx, http.MethodPost, "/"+c.alias+"/_pit?keep_alive="+ka, nil, &res); err != nil {
		return "", fmt.Errorf("opening point in time on %s: %w", c.alias, err)
	}
	return res.ID, nil
}

// ClosePIT releases a point in time; an expired one is not an error.
func (c *Client) ClosePIT(ctx context.Context, id string) error {
	err := c.do(ctx, http.MethodDelete, "/_pit", Query{"id": id}, nil)
	if err != nil && !isStatus(err, http.StatusNotFound) {
		return fmt.Errorf("closing point in time: %w", err)
	}
	return nil
}

// Count returns the number of assets in scope.
func (c *Client) Count(ctx context.Context, s Scope) (int64, error) {
	q, err := scopedQuery(s, nil)
	if err != nil {
		return 0, err
	}
	var res struct {
		Count int64 `json:"count"`
	}
	if err := c.do(ctx, http.MethodPost, "/"+c.alias+"/_count", Query{"query": q}, &res); err != nil {
		return 0, fmt.Errorf("counting %s: %w", c.alias, err)
	}
	return res.Count, nil
}

// Versions streams the id and version of every document of a tenant, in
// index order, from one point in time (for `assets verify`).
func (c *Client) Versions(ctx context.Context, tenantID string, fn func(id string, version int64) error) error {
	return c.scanTenant(ctx, tenantID, false, func(h TenantDoc) error { return fn(h.ID, h.Version) })
}
