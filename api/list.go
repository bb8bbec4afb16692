package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/go-fuego/fuego"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

func indexScope(sc store.Scope) index.Scope {
	switch sc.Kind {
	case store.ScopeGroup:
		return index.Scope{TenantID: sc.TenantID, GroupID: sc.GroupID}
	case store.ScopeOrg:
		return index.Scope{TenantID: sc.TenantID, OrgID: sc.OrgID}
	}
	return index.Scope{TenantID: sc.TenantID}
}

func filterString(n rsql.Node) string {
	if n == nil {
		return ""
	}
	return n.String()
}

// listQuery is a list or a stored search, ready to page.
type listQuery struct {
	filter rsql.Node
	sort   []index.SortField
	limit  int
	count  index.CountMode
	fields []string
	hash   string
	// A stored search pages its point in time pit, kept alive until no
	// later than deadline (when the search expires).
	searchID string
	pit      string
	deadline time.Time
}

// listAssets answers GET .../inventory/assets.
func (s *Server) listAssets(c fuego.ContextNoBody) (*AssetListDocument, error) {
	r := c.Request()
	acc, err := s.begin(r, store.Read)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	var lq listQuery
	if lq.filter, err = parseFilter(q.Get("filter"), "filter", ""); err != nil {
		return nil, err
	}
	if err = checkFilterCost(lq.filter, s.cfg.FilterCostMax, "filter", ""); err != nil {
		return nil, err
	}
	if lq.sort, err = parseSort(q.Get("sort"), "sort", "", assetSortNames()); err != nil {
		return nil, err
	}
	if lq.limit, err = parseLimit(q); err != nil {
		return nil, err
	}
	if q.Has("meta_count") {
		if lq.count, err = parseMetaCount(q.Get("meta_count"), "meta_count", ""); err != nil {
			return nil, err
		}
	}
	if lq.fields, err = parseFields(r, assetFields()); err != nil {
		return nil, err
	}
	lq.hash = queryHash("list", acc.scope.Kind, acc.scope.ID, filterString(lq.filter), sortString(lq.sort))
	return s.page(r, acc, lq)
}

// page runs one page of a list query and renders it with its links.
func (s *Server) page(r *http.Request, acc access, lq listQuery) (*AssetListDocument, error) {
	pg, err := parsePage(r, lq.hash)
	if err != nil {
		return nil, err
	}
	if err := checkCursorSort(pg, lq.sort); err != nil {
		return nil, err
	}
	req := index.SearchRequest{
		Scope: indexScope(acc.scope), Filter: lq.filter, Sort: lq.sort, Limit: lq.limit, Count: lq.count, PIT: lq.pit,
		Attributes: &index.AttributeSelection{Fields: lq.fields},
	}
	if req.PIT != "" {
		req.KeepAlive = time.Until(lq.deadline)
	}
	req.SearchAfter, req.SearchBefore = pg.sortValues()
	res, err := s.search(r.Context(), req, lq.searchID)
	if err != nil {
		return nil, err
	}
	doc := &AssetListDocument{}
	doc.Links = pg.links(len(res.Hits), res.HasAfter, res.HasBefore, func(last bool) cursor {
		if last {
			return cursor{Sort: res.Last, ID: res.Hits[len(res.Hits)-1].ID}
		}
		return cursor{Sort: res.First, ID: res.Hits[0].ID}
	})
	if res.Total != nil {
		doc.Meta = &CountMeta{Count: *res.Total}
	}
	// The document goes out as these bytes (serialize); Data stays empty.
	size := 256
	for _, h := range res.Hits {
		size += len(h.Attributes) + 256
	}
	if doc.raw, err = appendListDocument(make([]byte, 0, size), res.Hits, newSelfLink(acc), doc.Links, doc.Meta); err != nil {
		return nil, err
	}
	return doc, nil
}

// checkCursorSort refuses a cursor whose sort values do not fit the sort of
// the query (a cursor of an older sort definition, or a forged one), before
// they reach Elasticsearch.
func checkCursorSort(pg page, sort []index.SortField) error {
	for _, c := range []struct {
		param string
		at    *cursor
	}{{"starting_after", pg.after}, {"ending_before", pg.before}} {
		if c.at == nil {
			continue
		}
		if err := index.CheckSortValues(sort, c.at.Sort); err != nil {
			return &Error{Status: http.StatusBadRequest, Parameter: c.param, Cause: err,
				Detail: "The cursor does not fit the sort of this query; use the links of a previous page of this same query."}
		}
	}
	return nil
}

// search runs req. For a stored search (searchID) it records the point in
// time Elasticsearch answers with when it differs from the one sent, and
// when the point in time is gone it forgets it and pages the live index.
func (s *Server) search(ctx context.Context, req index.SearchRequest, searchID string) (*index.SearchResult, error) {
	res, err := s.index.Search(ctx, req)
	if err != nil && req.PIT != "" && isMissingPIT(err) {
		s.recordPIT(ctx, searchID, req.PIT, "")
		req.PIT = ""
		res, err = s.index.Search(ctx, req)
	}
	if err != nil {
		return nil, searchFailed(err)
	}
	if req.PIT != "" && res.PIT != "" && res.PIT != req.PIT {
		s.recordPIT(ctx, searchID, req.PIT, res.PIT)
	}
	return res, nil
}

// recordPIT replaces the point in time of a stored search. The page is
// served either way: a failure only means the next page sends the old id.
func (s *Server) recordPIT(ctx context.Context, searchID, old, pit string) {
	if searchID == "" {
		return
	}
	if err := store.SetSearchPIT(ctx, s.pool, searchID, old, pit); err != nil {
		logger(ctx).WarnContext(ctx, "recording the point in time of a search", "search_id", searchID, "error", err)
	}
}

func isMissingPIT(err error) bool {
	var re *index.ResponseError
	return errors.As(err, &re) && (re.Status == http.StatusNotFound || re.Type == "search_context_missing_exception")
}

// storedQuery is what a stored search keeps besides filter and sort.
type storedQuery struct {
	Limit     int    `json:"limit,omitempty"`
	MetaCount string `json:"meta_count,omitempty"`
}

// createSearch answers POST .../inventory/assets/searches: it checks and
// stores the search, with a point in time so its pages stay consistent,
// and redirects to its results.
func (s *Server) createSearch(c fuego.ContextNoBody) (*SearchCreatedDocument, error) {
	r := c.Request()
	acc, err := s.begin(r, store.Read)
	if err != nil {
		return nil, err
	}
	var attrs map[string]any
	if r.ContentLength != 0 {
		body, err := s.readBody(c.Response(), r)
		if err != nil {
			return nil, err
		}
		if len(body) > 0 {
			if attrs, err = parseSearchDocument(body); err != nil {
				return nil, err
			}
		}
	}
	filterText, sort, sq, err := parseSearchAttributes(attrs, s.cfg.FilterCostMax)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(sq)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	// Taken before the database's now(), so the deadline is never later
	// than the search's expiry.
	start := time.Now()
	// The filter is stored as given: that text was validated, while its
	// canonical form can be longer than the filter limit.
	sr, err := store.CreateSearch(ctx, s.pool, acc.scope, acc.token.ID, filterText, sortString(sort), raw, s.cfg.SearchTTL,
		store.SearchLimits{PerToken: s.cfg.MaxSearchesPerToken, PerTenant: s.cfg.MaxSearchesPerTenant})
	if err != nil {
		return nil, err
	}
	if err := s.openSearchPIT(ctx, sr.ID, start.Add(sr.Remaining)); err != nil {
		return nil, err
	}
	loc := scopeURL(acc) + "/inventory/assets/searches/" + sr.ID + "/results?" + url.Values{"version": {acc.version.served}}.Encode()
	c.SetHeader("Location", loc)
	return &SearchCreatedDocument{JSONAPI: jsonapi10}, nil
}

// parseSearchAttributes checks the attributes of a search to store: its
// filter (returned as given, within the cost budget costMax) and sort, and
// the rest it keeps (limit, meta_count).
func parseSearchAttributes(attrs map[string]any, costMax int) (string, []index.SortField, storedQuery, error) {
	const at = "/data/attributes"
	str := func(name string) (string, error) {
		v, ok := attrs[name]
		if !ok {
			return "", nil
		}
		s, isStr := v.(string)
		if !isStr {
			return "", badPointer(ptr(at, name), "%s must be a string.", name)
		}
		return s, nil
	}
	var sq storedQuery
	filterText, err := str("filter")
	if err != nil {
		return "", nil, sq, err
	}
	filter, err := parseFilter(filterText, "", ptr(at, "filter"))
	if err == nil {
		err = checkFilterCost(filter, costMax, "", ptr(at, "filter"))
	}
	if err != nil {
		return "", nil, sq, err
	}
	sortText, err := str("sort")
	if err != nil {
		return "", nil, sq, err
	}
	sort, err := parseSort(sortText, "", ptr(at, "sort"), assetSortNames())
	if err != nil {
		return "", nil, sq, err
	}
	if sq.MetaCount, err = str("meta_count"); err != nil {
		return "", nil, sq, err
	}
	if _, ok := attrs["meta_count"]; ok {
		if _, err := parseMetaCount(sq.MetaCount, "", ptr(at, "meta_count")); err != nil {
			return "", nil, sq, err
		}
	}
	if lv, ok := attrs["limit"]; ok {
		n, _ := lv.(json.Number)
		if sq.Limit, err = parseLimitText(string(n), "", ptr(at, "limit")); err != nil {
			return "", nil, sq, err
		}
	}
	return filterText, sort, sq, nil
}

// parseSearchDocument reads {"data":{"type":"searches","attributes":{...}}}
// and returns the attributes.
func parseSearchDocument(body []byte) (map[string]any, error) {
	data, ok, err := documentData(body)
	if err != nil || !ok {
		return nil, err
	}
	d, err := object(data, "/data", "data", "type", "attributes")
	if err != nil {
		return nil, err
	}
	if t, ok := d["type"]; ok && t != "searches" {
		return nil, badPointer("/data/type", "type must be searches.")
	}
	a, ok := d["attributes"]
	if !ok {
		return nil, nil
	}
	return object(a, "/data/attributes", "the attributes of a search", "filter", "sort", "limit", "meta_count")
}

// searchResults answers GET .../searches/{search_id}/results: pages of the
// stored search, read from its point in time.
func (s *Server) searchResults(c fuego.ContextNoBody) (*AssetListDocument, error) {
	r := c.Request()
	acc, err := s.begin(r, store.Read)
	if err != nil {
		return nil, err
	}
	start := time.Now() // before the database's now(): see createSearch
	sr, err := store.GetSearch(r.Context(), s.pool, acc.scope, r.PathValue("search_id"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("The search was not found; it may have expired.")
	}
	if err != nil {
		return nil, err
	}
	var sq storedQuery
	if err := json.Unmarshal(sr.Query, &sq); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	lq := listQuery{limit: sq.Limit, searchID: sr.ID, pit: sr.PIT, deadline: start.Add(sr.Remaining)}
	// The stored filter was validated when the search was created.
	if lq.filter, err = parseFilter(sr.Filter, "filter", ""); err != nil {
		return nil, err
	}
	sortText := sr.Sort
	if q.Has("sort") {
		sortText = q.Get("sort")
	}
	if lq.sort, err = parseSort(sortText, "sort", "", assetSortNames()); err != nil {
		return nil, err
	}
	if q.Has("limit") || lq.limit == 0 {
		if lq.limit, err = parseLimit(q); err != nil {
			return nil, err
		}
	}
	if sq.MetaCount != "" {
		lq.count, _ = parseMetaCount(sq.MetaCount, "", "") // checked when stored
	}
	if lq.fields, err = parseFields(r, assetFields()); err != nil {
		return nil, err
	}
	lq.hash = queryHash("search", sr.ID, sortString(lq.sort))
	return s.page(r, acc, lq)
}

// openSearchPIT opens the point in time stored search id pages, kept alive
// no later than deadline, and records it. When either step fails the search
// is deleted and the point in time closed, so neither outlives the request.
func (s *Server) openSearchPIT(ctx context.Context, id string, deadline time.Time) error {
	pit, err := s.index.OpenPIT(ctx, time.Until(deadline))
	if err != nil {
		s.dropSearch(ctx, id, "")
		return searchFailed(err)
	}
	if err := store.SetSearchPIT(ctx, s.pool, id, "", pit); err != nil {
		s.dropSearch(ctx, id, pit)
		return err
	}
	return nil
}

// dropSearch undoes a search that could not be set up; failures are logged
// (the reaper removes what is left once it expires).
func (s *Server) dropSearch(ctx context.Context, id, pit string) {
	ctx = context.WithoutCancel(ctx)
	if pit != "" {
		if err := s.index.ClosePIT(ctx, pit); err != nil {
			logger(ctx).WarnContext(ctx, "closing the point in time of a failed search", "search_id", id, "error", err)
		}
	}
	if err := store.DeleteSearch(ctx, s.pool, id); err != nil {
		logger(ctx).WarnContext(ctx, "deleting a failed search", "search_id", id, "error", err)
	}
}
