package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

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
	pit    string
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
	var perr *Error
	if lq.filter, perr = parseFilter(q.Get("filter"), "filter", ""); perr != nil {
		return nil, perr
	}
	if lq.sort, perr = parseSort(q.Get("sort"), "sort", "", isAssetSort, assetSortNames()); perr != nil {
		return nil, perr
	}
	if lq.limit, perr = parseLimit(q); perr != nil {
		return nil, perr
	}
	if q.Has("meta_count") {
		if lq.count, perr = parseMetaCount(q.Get("meta_count"), "meta_count", ""); perr != nil {
			return nil, perr
		}
	}
	if lq.fields, perr = parseFields(r, assetFields()); perr != nil {
		return nil, perr
	}
	lq.hash = queryHash("list", acc.scope.Kind, acc.scope.ID, filterString(lq.filter), sortString(lq.sort))
	return s.page(r.Context(), r, acc, lq)
}

// page runs one page of a list query and renders it with its links.
func (s *Server) page(ctx context.Context, r *http.Request, acc access, lq listQuery) (*AssetListDocument, error) {
	pg, perr := parsePage(r.URL.Query(), lq.hash)
	if perr != nil {
		return nil, perr
	}
	req := index.SearchRequest{
		Scope: indexScope(acc.scope), Filter: lq.filter, Sort: lq.sort, Limit: lq.limit, Count: lq.count,
		PIT: lq.pit, KeepAlive: s.cfg.SearchTTL,
	}
	if pg.after != nil {
		req.SearchAfter = pg.after.Sort
	}
	if pg.before != nil {
		req.SearchBefore = pg.before.Sort
	}
	res, err := s.index.Search(ctx, req)
	if err != nil && req.PIT != "" && isMissingPIT(err) {
		// The point in time expired before the search did: page the live
		// index instead of failing.
		req.PIT = ""
		res, err = s.index.Search(ctx, req)
	}
	if err != nil {
		return nil, searchFailed(err)
	}
	v := stateOf(ctx).version
	doc := &AssetListDocument{Data: make([]AssetResource, len(res.Assets))}
	for i, a := range res.Assets {
		doc.Data[i] = assetResource(a, assetSelf(acc, a.ID, v), lq.fields)
	}
	var next, prev string
	if len(res.Assets) > 0 {
		if res.HasAfter {
			next = encodeCursor(cursor{Sort: res.Last, ID: res.Assets[len(res.Assets)-1].ID, Query: lq.hash})
		}
		if res.HasBefore {
			prev = encodeCursor(cursor{Sort: res.First, ID: res.Assets[0].ID, Query: lq.hash})
		}
	}
	doc.Links = pageLinks(r, next, prev)
	if res.Total != nil {
		doc.Meta = &CountMeta{Count: *res.Total}
	}
	return doc, nil
}

func isMissingPIT(err error) bool {
	var re *index.ResponseError
	return errors.As(err, &re) && (re.Status == http.StatusNotFound || re.Type == "search_context_missing_exception")
}

// storedQuery is what a stored search keeps besides filter and sort.
type storedQuery struct {
	Limit     int    `json:"limit,omitempty"`
	MetaCount string `json:"meta_count,omitempty"`
	PIT       string `json:"pit,omitempty"`
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
	const at = "/data/attributes"
	str := func(name string) (string, *Error) {
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
	filterText, perr := str("filter")
	if perr != nil {
		return nil, perr
	}
	filter, perr := parseFilter(filterText, "", ptr(at, "filter"))
	if perr != nil {
		return nil, perr
	}
	sortText, perr := str("sort")
	if perr != nil {
		return nil, perr
	}
	sort, perr := parseSort(sortText, "", ptr(at, "sort"), isAssetSort, assetSortNames())
	if perr != nil {
		return nil, perr
	}
	mc, perr := str("meta_count")
	if perr != nil {
		return nil, perr
	}
	if _, ok := attrs["meta_count"]; ok {
		if _, perr := parseMetaCount(mc, "", ptr(at, "meta_count")); perr != nil {
			return nil, perr
		}
	}
	sq := storedQuery{MetaCount: mc}
	if lv, ok := attrs["limit"]; ok {
		n, _ := lv.(json.Number)
		l, err := strconv.Atoi(string(n))
		if err != nil || l < 10 || l > 100 {
			return nil, badPointer(ptr(at, "limit"), "limit must be an integer from 10 to 100.")
		}
		sq.Limit = l
	}
	pit, err := s.index.OpenPIT(r.Context(), s.cfg.SearchTTL)
	if err != nil {
		return nil, searchFailed(err)
	}
	sq.PIT = pit
	raw, err := json.Marshal(sq)
	if err != nil {
		return nil, err
	}
	sr, err := store.CreateSearch(r.Context(), s.pool, acc.scope, acc.token.ID, filterString(filter), sortString(sort), raw, s.cfg.SearchTTL)
	if err != nil {
		return nil, err
	}
	v := stateOf(r.Context()).version
	loc := scopePath(acc.scope) + "/inventory/assets/searches/" + sr.ID + "/results?" + url.Values{"version": {v.served}}.Encode()
	c.SetHeader("Location", loc)
	return &SearchCreatedDocument{JSONAPI: jsonapi10}, nil
}

// parseSearchDocument reads {"data":{"type":"searches","attributes":{...}}}
// and returns the attributes.
func parseSearchDocument(body []byte) (map[string]any, error) {
	v, perr := decodeJSON(body)
	if perr != nil {
		return nil, perr
	}
	doc, perr := object(v, "", "the document", "data")
	if perr != nil {
		return nil, perr
	}
	data, ok := doc["data"]
	if !ok {
		return nil, nil
	}
	d, perr := object(data, "/data", "data", "type", "attributes")
	if perr != nil {
		return nil, perr
	}
	if t, ok := d["type"]; ok && t != "searches" {
		return nil, badPointer("/data/type", "type must be searches.")
	}
	a, ok := d["attributes"]
	if !ok {
		return nil, nil
	}
	attrs, perr := object(a, "/data/attributes", "the attributes of a search", "filter", "sort", "limit", "meta_count")
	if perr != nil {
		return nil, perr
	}
	return attrs, nil
}

// searchResults answers GET .../searches/{search_id}/results: pages of the
// stored search, read from its point in time.
func (s *Server) searchResults(c fuego.ContextNoBody) (*AssetListDocument, error) {
	r := c.Request()
	acc, err := s.begin(r, store.Read)
	if err != nil {
		return nil, err
	}
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
	var lq listQuery
	var perr *Error
	// The stored filter was validated when the search was created.
	if lq.filter, perr = parseFilter(sr.Filter, "filter", ""); perr != nil {
		return nil, perr
	}
	sortText := sr.Sort
	if q.Has("sort") {
		sortText = q.Get("sort")
	}
	if lq.sort, perr = parseSort(sortText, "sort", "", isAssetSort, assetSortNames()); perr != nil {
		return nil, perr
	}
	lq.limit = sq.Limit
	if q.Has("limit") || lq.limit == 0 {
		if lq.limit, perr = parseLimit(q); perr != nil {
			return nil, perr
		}
	}
	if sq.MetaCount != "" {
		lq.count, _ = parseMetaCount(sq.MetaCount, "", "") // checked when stored
	}
	if lq.fields, perr = parseFields(r, assetFields()); perr != nil {
		return nil, perr
	}
	lq.pit = sq.PIT
	lq.hash = queryHash("search", sr.ID, sortString(lq.sort))
	return s.page(r.Context(), r, acc, lq)
}
