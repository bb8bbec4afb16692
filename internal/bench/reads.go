package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/rsql"
)

// The questions the reads ask.
const (
	// listFilter has three clauses of three kinds (term, terms, range).
	listFilter = "registry==docker.io;class=in=(A,B);created_at=ge=2025-01-01"
	listSort   = "-risk_score"
	listLimit  = 100
	// qTerm is searched with q== over the q fields.
	qTerm = "nginx"
	// facetFilter narrows the group values; facetSQL repeats it.
	facetFilter = "created_at=ge=2025-01-01;risk_score=ge=100"
	// autocomplete: filter values of this field containing this text.
	autocompleteField = "repository"
	autocompleteQ     = "ng"
	// storedSearchPages are read per stored search.
	storedSearchPages = 3
)

// facetFields are the group fields measured.
var facetFields = []string{"class", "registry", "tags"}

func parseFilter(s string) (rsql.Node, error) {
	n, err := rsql.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("parsing %q: %w", s, err)
	}
	if err := rsql.Validate(n, index.NewCatalogue()); err != nil {
		return nil, fmt.Errorf("validating %q: %w", s, err)
	}
	return n, nil
}

// parseSort reads "-a,b" into sort fields.
func parseSort(s string) []index.SortField {
	var out []index.SortField
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, index.SortField{Name: strings.TrimPrefix(p, "-"), Desc: strings.HasPrefix(p, "-")})
		}
	}
	return out
}

// searchRequest is the index request the API makes for a list.
func (r *runner) searchRequest(filter, sort string, limit int) (index.SearchRequest, error) {
	n, err := parseFilter(filter)
	if err != nil {
		return index.SearchRequest{}, err
	}
	// Attributes: the API asks only for the stored attributes, so the direct
	// side sends the same body (what a client of Elasticsearch would ask to
	// get the same answer).
	return index.SearchRequest{Scope: index.Scope{TenantID: r.data.tenantID}, Filter: n, Sort: parseSort(sort), Limit: limit,
		Attributes: &index.AttributeSelection{}}, nil
}

// directSearch is the body of that request, encoded once.
func (r *runner) directSearch(req index.SearchRequest) (string, []byte, error) {
	es, err := r.idx.Diagnose(req)
	if err != nil {
		return "", nil, err
	}
	raw, err := json.Marshal(es.Body)
	return es.Path, raw, err
}

// apiSide is a GET of one API URL.
func (r *runner) apiSide(u string) side {
	return side{name: "API", do: func(ctx context.Context) error {
		_, err := r.api.get(ctx, u)
		return err
	}}
}

// esSide is one pre-encoded request straight to Elasticsearch.
func (r *runner) esSide(path string, body []byte) side {
	return side{name: "Elasticsearch", do: func(ctx context.Context) error {
		_, err := r.es.Do(ctx, http.MethodPost, path, body)
		return err
	}}
}

// sameIDs checks once, outside the timing, that the API and the direct
// request answer the same ids in the same order.
func (r *runner) sameIDs(ctx context.Context, apiURL, path string, body []byte, n int) (bool, error) {
	a, err := r.api.get(ctx, apiURL)
	if err != nil {
		return false, err
	}
	page, err := decodeAPIPage(a)
	if err != nil {
		return false, err
	}
	e, err := r.es.Do(ctx, http.MethodPost, path, body)
	if err != nil {
		return false, err
	}
	hits, err := decodeESHits(e)
	if err != nil {
		return false, err
	}
	return len(page.Data) > 0 && slices.Equal(page.ids(), hits.ids(n)), nil
}

func (r *runner) measureList(ctx context.Context) error {
	apiURL := r.api.url("", url.Values{"filter": {listFilter}, "sort": {listSort}, "limit": {fmt.Sprint(listLimit)}})
	req, err := r.searchRequest(listFilter, listSort, listLimit)
	if err != nil {
		return err
	}
	path, body, err := r.directSearch(req)
	if err != nil {
		return err
	}
	same, err := r.sameIDs(ctx, apiURL, path, body, listLimit)
	if err != nil {
		return err
	}
	stats, err := interleave(ctx, r.lim, r.apiSide(apiURL), r.esSide(path, body))
	if err != nil {
		return err
	}
	r.rep.add(Measurement{
		Name:       "list: 3-clause filter, sort, limit 100",
		Request:    fmt.Sprintf("GET .../inventory/assets?filter=%s&sort=%s&limit=%d", listFilter, listSort, listLimit),
		Sides:      stats,
		SameAnswer: &same,
	})
	return nil
}

func (r *runner) measureQ(ctx context.Context) error {
	filter := "q==" + qTerm
	apiURL := r.api.url("", url.Values{"filter": {filter}, "sort": {listSort}, "limit": {fmt.Sprint(listLimit)}})
	req, err := r.searchRequest(filter, listSort, listLimit)
	if err != nil {
		return err
	}
	path, body, err := r.directSearch(req)
	if err != nil {
		return err
	}
	same, err := r.sameIDs(ctx, apiURL, path, body, listLimit)
	if err != nil {
		return err
	}
	idx, err := r.ensureTrigramIndex(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err := r.dropTrigramIndex(context.WithoutCancel(ctx)); err != nil {
			r.log.Warn("bench: dropping the trigram index", "err", err)
		}
	}()
	a, err := r.api.get(ctx, apiURL)
	if err != nil {
		return err
	}
	page, err := decodeAPIPage(a)
	if err != nil {
		return err
	}
	pgIDs, err := r.pgQIDs(ctx, qTerm, listLimit)
	if err != nil {
		return err
	}
	same = same && slices.Equal(page.ids(), pgIDs)
	plan, err := r.pgQPlan(ctx, qTerm)
	if err != nil {
		return err
	}
	stats, err := interleave(ctx, r.lim, r.apiSide(apiURL), r.esSide(path, body), side{
		name: "PostgreSQL (pg_trgm)", do: func(ctx context.Context) error { return r.pgQ(ctx, qTerm) },
	})
	if err != nil {
		return err
	}
	r.rep.add(Measurement{
		Name:       "q==" + qTerm + ": substring over the q fields, limit 100",
		Request:    fmt.Sprintf("GET .../inventory/assets?filter=q==%s&sort=%s&limit=%d", qTerm, listSort, listLimit),
		Sides:      stats,
		SameAnswer: &same,
		Note: fmt.Sprintf("PostgreSQL: ILIKE over labels, tag keys and values, registry, repository, name, config and distribution digests, image tags, "+
			"with a pg_trgm GIN expression index (%s, built in %.0f s, dropped afterwards); plan: %s", bytesText(idx.bytes), idx.seconds, plan),
	})
	r.rep.TrigramIndex = &IndexBuild{Seconds: idx.seconds, Bytes: idx.bytes}
	return nil
}

func (r *runner) measureStoredSearch(ctx context.Context) error {
	doc := map[string]any{"data": map[string]any{"type": "searches", "attributes": map[string]any{
		"filter": listFilter, "sort": listSort, "limit": listLimit,
	}}}
	create, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	req, err := r.searchRequest(listFilter, listSort, listLimit)
	if err != nil {
		return err
	}
	var apiSearches, pits []string
	defer func() {
		cctx := context.WithoutCancel(ctx)
		r.closeAPISearches(cctx, apiSearches)
		r.closePITs(cctx, pits)
	}()
	apiRun := func(ctx context.Context, ids *[]string) error {
		loc, err := r.apiStoredSearch(ctx, create, ids)
		if loc != "" {
			apiSearches = append(apiSearches, loc)
		}
		return err
	}
	esRun := func(ctx context.Context, ids *[]string) error {
		pit, err := r.esStoredSearch(ctx, req, ids)
		if pit != "" {
			pits = append(pits, pit)
		}
		return err
	}
	var apiIDs, esIDs []string
	if err := apiRun(ctx, &apiIDs); err != nil {
		return err
	}
	if err := esRun(ctx, &esIDs); err != nil {
		return err
	}
	same := len(apiIDs) > 0 && slices.Equal(apiIDs, esIDs)
	stats, err := interleave(ctx, r.lim,
		side{name: "API", do: func(ctx context.Context) error { return apiRun(ctx, nil) }},
		side{name: "Elasticsearch", do: func(ctx context.Context) error { return esRun(ctx, nil) }},
	)
	if err != nil {
		return err
	}
	r.rep.add(Measurement{
		Name:       fmt.Sprintf("stored search: create + %d pages of 100", storedSearchPages),
		Request:    fmt.Sprintf("POST .../inventory/assets/searches (filter %s, sort %s), then GET its results and %d next pages", listFilter, listSort, storedSearchPages-1),
		Sides:      stats,
		SameAnswer: &same,
		Note:       "direct: open a point in time, then the same searches with search_after; one sample is the whole sequence",
	})
	return nil
}

// apiStoredSearch creates a search and reads its first pages, appending
// the ids to ids when not nil. It returns the search's results location.
func (r *runner) apiStoredSearch(ctx context.Context, create []byte, ids *[]string) (string, error) {
	_, h, err := r.api.sendBody(ctx, http.MethodPost, r.api.url("/searches", nil), create, http.StatusFound)
	if err != nil {
		return "", err
	}
	loc := h.Get("Location")
	if loc == "" {
		return "", fmt.Errorf("creating a search: no Location")
	}
	next := loc
	for p := 0; p < storedSearchPages && next != ""; p++ {
		b, err := r.api.get(ctx, next)
		if err != nil {
			return loc, err
		}
		page, err := decodeAPIPage(b)
		if err != nil {
			return loc, err
		}
		if ids != nil {
			*ids = append(*ids, page.ids()...)
		}
		next = page.Links.Next
	}
	return loc, nil
}

// esStoredSearch does what a stored search does, straight: a point in
// time, then pages with search_after. It returns the point in time.
func (r *runner) esStoredSearch(ctx context.Context, req index.SearchRequest, ids *[]string) (string, error) {
	b, err := r.es.Do(ctx, http.MethodPost, "/"+r.idx.Alias()+"/_pit?keep_alive=15m", nil)
	if err != nil {
		return "", err
	}
	var pit struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &pit); err != nil {
		return "", fmt.Errorf("opening a point in time: %w", err)
	}
	req.PIT, req.KeepAlive = pit.ID, 15*time.Minute
	for range storedSearchPages {
		path, body, err := r.directSearch(req)
		if err != nil {
			return pit.ID, err
		}
		b, err := r.es.Do(ctx, http.MethodPost, path, body)
		if err != nil {
			return pit.ID, err
		}
		hits, err := decodeESHits(b)
		if err != nil {
			return pit.ID, err
		}
		if ids != nil {
			*ids = append(*ids, hits.ids(req.Limit)...)
		}
		if len(hits.Hits.Hits) <= req.Limit {
			break
		}
		req.SearchAfter = hits.Hits.Hits[req.Limit-1].Sort
		if hits.PITID != "" {
			req.PIT = hits.PITID
		}
	}
	return req.PIT, nil
}

// closeAPISearches closes the points in time of the searches the API
// created and deletes the searches, so that nothing lingers.
func (r *runner) closeAPISearches(ctx context.Context, locations []string) {
	var pits []string
	for _, loc := range locations {
		_, rest, ok := strings.Cut(loc, "/searches/")
		id, _, _ := strings.Cut(rest, "/")
		if !ok || id == "" {
			continue
		}
		var pit *string
		err := r.pool.QueryRow(ctx, `DELETE FROM searches WHERE id = $1 RETURNING query->>'pit'`, id).Scan(&pit)
		if err == nil && pit != nil {
			pits = append(pits, *pit)
		}
	}
	r.closePITs(ctx, pits)
}

func (r *runner) closePITs(ctx context.Context, pits []string) {
	for _, p := range pits {
		body, _ := json.Marshal(map[string]string{"id": p})
		if _, err := r.es.Do(ctx, http.MethodDelete, "/_pit", body); err != nil {
			r.log.Debug("bench: closing a point in time", "err", err)
		}
	}
}

func (r *runner) measureGroupValues(ctx context.Context) error {
	filter, err := parseFilter(facetFilter)
	if err != nil {
		return err
	}
	for _, field := range facetFields {
		g, ok := index.NewCatalogue().GroupByName(field)
		if !ok {
			return fmt.Errorf("no group field %s", field)
		}
		apiURL := r.api.url("/groups/"+g.ID+"/values", url.Values{
			"filter": {facetFilter}, "sort": {"-count"}, "meta_fields": {"count"}, "limit": {"10"},
		})
		es, err := r.idx.Diagnose(index.GroupValuesRequest{
			Scope: index.Scope{TenantID: r.data.tenantID}, Field: field, Filter: filter,
			Sort: []index.SortField{{Name: "count", Desc: true}}, Limit: 10,
		})
		if err != nil {
			return err
		}
		path, body := es.Path, es.Body
		first, err := json.Marshal(body)
		if err != nil {
			return err
		}
		esAll := func(ctx context.Context) error { return r.esComposite(ctx, path, body, first) }
		b, err := r.api.get(ctx, apiURL)
		if err != nil {
			return err
		}
		page, err := decodeAPIPage(b)
		if err != nil {
			return err
		}
		apiValues := make([]groupCount, len(page.Data))
		for i, d := range page.Data {
			apiValues[i] = groupCount{Value: d.Attributes.Value, Count: d.Meta.Count}
		}
		pgValues, err := r.pgGroupValues(ctx, field)
		if err != nil {
			return err
		}
		same := len(apiValues) > 0 && slices.Equal(apiValues, pgValues)
		stats, err := interleave(ctx, r.lim, r.apiSide(apiURL),
			side{name: "Elasticsearch", do: esAll},
			side{name: "PostgreSQL (GROUP BY)", do: func(ctx context.Context) error {
				_, err := r.pgGroupValues(ctx, field)
				return err
			}},
		)
		if err != nil {
			return err
		}
		r.rep.add(Measurement{
			Name:       "group values: " + field + " (top 10 by count)",
			Request:    fmt.Sprintf("GET .../inventory/assets/groups/{%s}/values?filter=%s&sort=-count&meta_fields=count&limit=10", field, facetFilter),
			Sides:      stats,
			SameAnswer: &same,
			Note:       "direct: the composite aggregation the API pages through; PostgreSQL: GROUP BY with the same filter",
		})
	}
	return nil
}

// esComposite pages the composite aggregation body to its end; first is
// the first page's body, already encoded.
func (r *runner) esComposite(ctx context.Context, path string, body index.Query, first []byte) error {
	comp, _ := body["aggs"].(index.Query)["g"].(index.Query)["composite"].(index.Query)
	size, _ := comp["size"].(int)
	raw := first
	for range 1000 {
		b, err := r.es.Do(ctx, http.MethodPost, path, raw)
		if err != nil {
			return err
		}
		var res esComposite
		if err := json.Unmarshal(b, &res); err != nil {
			return fmt.Errorf("decoding a composite aggregation: %w", err)
		}
		g := res.Aggregations.G
		if len(g.Buckets) < size || len(g.AfterKey) == 0 {
			return nil
		}
		comp["after"] = g.AfterKey
		raw, err = json.Marshal(body)
		delete(comp, "after")
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("more than 1000 pages of values")
}

func (r *runner) measureFilterValues(ctx context.Context) error {
	f, ok := index.NewCatalogue().FilterByName(autocompleteField)
	if !ok {
		return fmt.Errorf("no filter field %s", autocompleteField)
	}
	apiURL := r.api.url("/filters/"+f.ID+"/values", url.Values{"q": {autocompleteQ}, "limit": {"10"}})
	b, err := r.api.get(ctx, apiURL)
	if err != nil {
		return err
	}
	page, err := decodeAPIPage(b)
	if err != nil {
		return err
	}
	if len(page.Data) == 0 {
		return fmt.Errorf("autocomplete of %s with q=%s found nothing", autocompleteField, autocompleteQ)
	}
	stats, err := interleave(ctx, r.lim, r.apiSide(apiURL))
	if err != nil {
		return err
	}
	r.rep.add(Measurement{
		Name:    fmt.Sprintf("filter values: %s q=%s (autocomplete)", autocompleteField, autocompleteQ),
		Request: fmt.Sprintf("GET .../inventory/assets/filters/{%s}/values?q=%s&limit=10", autocompleteField, autocompleteQ),
		Sides:   stats,
	})
	return nil
}
