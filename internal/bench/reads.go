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

// measureQ times q== for a broad term (qTerm, in about a sixth of the
// tenant) and a selective one (a fragment of one asset's config digest,
// the way people paste digests), through the API, straight to
// Elasticsearch and in PostgreSQL with a pg_trgm index built for it: the
// substring index makes the cost follow the matches, which the two rows
// show side by side.
func (r *runner) measureQ(ctx context.Context) error {
	selective, err := r.digestFragment(ctx)
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
	r.rep.TrigramIndex = &IndexBuild{Seconds: idx.seconds, Bytes: idx.bytes}
	for _, c := range []struct{ term, name string }{
		{qTerm, "q==" + qTerm + ": substring over the q fields, limit 100"},
		{selective, "q== a 12-character digest fragment: substring over the q fields, limit 100"},
	} {
		if err := r.measureQTerm(ctx, c.term, c.name, idx); err != nil {
			return err
		}
	}
	return nil
}

// digestFragment is 12 hex digits from the middle of the config digest of
// one asset of the tenant.
func (r *runner) digestFragment(ctx context.Context) (string, error) {
	var digest string
	err := r.pool.QueryRow(ctx, `SELECT config_digest FROM assets WHERE tenant_id = $1 AND length(config_digest) >= 40
		ORDER BY id LIMIT 1`, r.data.tenantID).Scan(&digest)
	if err != nil {
		return "", fmt.Errorf("choosing a digest to search: %w", err)
	}
	return digest[20:32], nil
}

func (r *runner) measureQTerm(ctx context.Context, term, name string, idx trigramIndex) error {
	filter := "q==" + term
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
	a, err := r.api.get(ctx, r.api.url("", url.Values{"filter": {filter}, "meta_count": {"only"}}))
	if err != nil {
		return err
	}
	var counted struct {
		Meta struct {
			Count int64 `json:"count"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(a, &counted); err != nil {
		return fmt.Errorf("reading the count of %s: %w", filter, err)
	}
	if a, err = r.api.get(ctx, apiURL); err != nil {
		return err
	}
	page, err := decodeAPIPage(a)
	if err != nil {
		return err
	}
	pgIDs, err := r.pgQIDs(ctx, term, listLimit)
	if err != nil {
		return err
	}
	same = same && slices.Equal(page.ids(), pgIDs)
	plan, err := r.pgQPlan(ctx, term)
	if err != nil {
		return err
	}
	stats, err := interleave(ctx, r.lim, r.apiSide(apiURL), r.esSide(path, body), side{
		name: "PostgreSQL (pg_trgm)", apart: true, do: func(ctx context.Context) error { return r.pgQ(ctx, term) },
	})
	if err != nil {
		return err
	}
	r.rep.add(Measurement{
		Name:       name,
		Request:    fmt.Sprintf("GET .../inventory/assets?filter=q==%s&sort=%s&limit=%d", term, listSort, listLimit),
		Sides:      stats,
		SameAnswer: &same,
		Note: fmt.Sprintf("%d matches in the tenant (%d assets). PostgreSQL: ILIKE over labels, tag keys and values, registry, repository, name, config and distribution digests, image tags, "+
			"with a pg_trgm GIN expression index (%s, built in %.0f s, dropped afterwards); plan: %s",
			counted.Meta.Count, r.data.tenantAssets, bytesText(idx.bytes), idx.seconds, plan),
	})
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

// facetRow is one group values question: a field, a filter and a sort
// with the aggregate modes it names.
type facetRow struct {
	field, filter, sort string
	agg                 map[string]string
}

// facetLimit is the page of values every row asks for.
const facetLimit = 10

// manyValuedFacetFields are group fields with thousands of values in the
// largest tenant, where collecting every value would cost the most.
var manyValuedFacetFields = []string{"name", "repository", "image_tag"}

// facetRows are the group values questions: the few-valued fields by
// count under facetFilter (compared with PostgreSQL's GROUP BY too), and
// the many-valued fields of the whole tenant under every sort one terms
// aggregation can order by.
func facetRows() []facetRow {
	var rows []facetRow
	for _, f := range facetFields {
		rows = append(rows, facetRow{field: f, filter: facetFilter, sort: "-count"})
	}
	for _, f := range manyValuedFacetFields {
		for _, s := range []facetRow{
			{sort: "-count"}, {sort: "count"}, {sort: "value"}, {sort: "-value"},
			{sort: "-risk_score", agg: map[string]string{"risk_score": "max"}},
			{sort: "risk_score", agg: map[string]string{"risk_score": "min"}},
			{sort: "-issues", agg: map[string]string{"issues": "sum"}},
			{sort: "issues", agg: map[string]string{"issues": "sum"}},
		} {
			s.field = f
			rows = append(rows, s)
		}
	}
	return rows
}

// query is the API query string of the row.
func (f facetRow) query() url.Values {
	q := url.Values{"sort": {f.sort}, "meta_fields": {"count"}, "limit": {fmt.Sprint(facetLimit)}}
	if f.filter != "" {
		q.Set("filter", f.filter)
	}
	for k, v := range f.agg {
		q.Set("aggregate["+k+"]", v)
	}
	return q
}

// name is the row's title in the report.
func (f facetRow) name() string {
	s := fmt.Sprintf("group values: %s sort=%s", f.field, f.sort)
	for k, v := range f.agg {
		s += fmt.Sprintf(" aggregate[%s]=%s", k, v)
	}
	if f.filter != "" {
		s += " (filtered)"
	}
	return s
}

// directTerms is the single Elasticsearch aggregation that answers the
// row: a terms aggregation of field ordered by the sort (count, the value,
// or metric sub-aggregations), then by value, cut to the page and one more
// value (to know there is a next page), over query.
func (f facetRow) directTerms(query any, field string) index.Query {
	dir := "asc"
	if strings.HasPrefix(f.sort, "-") {
		dir = "desc"
	}
	terms := index.Query{"field": field, "size": facetLimit + 1}
	agg := index.Query{"terms": terms}
	var order []any
	switch key := strings.TrimPrefix(f.sort, "-"); key {
	case "value":
		order = []any{index.Query{"_key": dir}}
	case "count":
		order = []any{index.Query{"_count": dir}, index.Query{"_key": "asc"}}
	case "risk_score":
		order = []any{index.Query{"m": dir}, index.Query{"_key": "asc"}}
		agg["aggs"] = index.Query{"m": index.Query{f.agg[key]: index.Query{"field": key}}}
	case "issues":
		subs := index.Query{}
		for _, sev := range index.Severities() {
			order = append(order, index.Query{sev: dir})
			subs[sev] = index.Query{"sum": index.Query{"field": "issues." + sev}}
		}
		order = append(order, index.Query{"_key": "asc"})
		agg["aggs"] = subs
	}
	terms["order"] = order
	return index.Query{"size": 0, "track_total_hits": false, "query": query, "aggs": index.Query{"g": agg}}
}

// compositeField is the field and query of the composite aggregation
// Diagnose shows for a group values request: what the direct request asks
// about.
func compositeField(body index.Query) (string, any, error) {
	at := func(q index.Query, key string) index.Query { x, _ := q[key].(index.Query); return x }
	sources, _ := at(at(at(body, "aggs"), "g"), "composite")["sources"].([]any)
	if len(sources) != 1 {
		return "", nil, fmt.Errorf("group values request without one composite source: %v", body)
	}
	src, _ := sources[0].(index.Query)
	field, _ := at(at(src, "v"), "terms")["field"].(string)
	if field == "" {
		return "", nil, fmt.Errorf("group values request without a field: %v", body)
	}
	return field, body["query"], nil
}

func (r *runner) measureGroupValues(ctx context.Context) error {
	for _, row := range facetRows() {
		if err := r.measureFacetRow(ctx, row); err != nil {
			return fmt.Errorf("%s: %w", row.name(), err)
		}
	}
	return nil
}

// measureFacetRow times the API beside the single terms aggregation with
// the same answer, and beside PostgreSQL's GROUP BY where the row has one.
func (r *runner) measureFacetRow(ctx context.Context, row facetRow) error {
	g, ok := index.NewCatalogue().GroupByName(row.field)
	if !ok {
		return fmt.Errorf("no group field %s", row.field)
	}
	path, direct, err := r.facetDirect(row)
	if err != nil {
		return err
	}
	apiURL := r.api.url("/groups/"+g.ID+"/values", row.query())
	_, withPG := facetSQL[row.field]
	withPG = withPG && row.filter == facetFilter
	same, err := r.sameFacetAnswer(ctx, row, apiURL, path, direct, withPG)
	if err != nil {
		return err
	}
	sides := []side{r.apiSide(apiURL), r.esSide(path, direct)}
	note := "direct: one terms aggregation ordered by the sort, then by value, cut to 11 values"
	if withPG {
		sides = append(sides, side{name: "PostgreSQL (GROUP BY)", apart: true, do: func(ctx context.Context) error {
			_, err := r.pgGroupValues(ctx, row.field)
			return err
		}})
		note += "; PostgreSQL: GROUP BY with the same filter"
	}
	stats, err := interleave(ctx, r.lim, sides...)
	if err != nil {
		return err
	}
	r.rep.add(Measurement{Name: row.name(), Sides: stats, SameAnswer: &same, Note: note,
		Request: "GET .../inventory/assets/groups/{" + row.field + "}/values?" + row.query().Encode()})
	return nil
}

// facetDirect is the direct side of a facet row: the single terms
// aggregation with the API's answer, over the API's query.
func (r *runner) facetDirect(row facetRow) (path string, body []byte, err error) {
	req := index.GroupValuesRequest{Scope: index.Scope{TenantID: r.data.tenantID}, Field: row.field,
		Sort: parseSort(row.sort), Aggregate: row.agg, Limit: facetLimit}
	if row.filter != "" {
		if req.Filter, err = parseFilter(row.filter); err != nil {
			return "", nil, err
		}
	}
	diag, err := r.idx.Diagnose(req)
	if err != nil {
		return "", nil, err
	}
	field, query, err := compositeField(diag.Body)
	if err != nil {
		return "", nil, err
	}
	body, err = json.Marshal(row.directTerms(query, field))
	return diag.Path, body, err
}

// sameFacetAnswer checks once, outside the timing, that the API's page is
// the direct aggregation's first values with their counts (and PostgreSQL's
// GROUP BY's, withPG).
func (r *runner) sameFacetAnswer(ctx context.Context, row facetRow, apiURL, path string, direct []byte, withPG bool) (bool, error) {
	b, err := r.api.get(ctx, apiURL)
	if err != nil {
		return false, err
	}
	page, err := decodeAPIPage(b)
	if err != nil {
		return false, err
	}
	apiValues := make([]groupCount, len(page.Data))
	for i, d := range page.Data {
		apiValues[i] = groupCount{Value: d.Attributes.Value, Count: d.Meta.Count}
	}
	e, err := r.es.Do(ctx, http.MethodPost, path, direct)
	if err != nil {
		return false, err
	}
	esValues, pairs, err := decodeTermsPage(e, facetLimit)
	if err != nil {
		return false, err
	}
	// Elasticsearch breaks ties of pairs by the stored key, the API by the
	// key:value it shows; PostgreSQL's GROUP BY checks those rows instead.
	same := len(apiValues) > 0 && (pairs || slices.Equal(apiValues, esValues))
	if withPG {
		pgValues, err := r.pgGroupValues(ctx, row.field)
		if err != nil {
			return false, err
		}
		same = same && slices.Equal(apiValues, pgValues)
	}
	return same, nil
}

// pairSep joins the key and value of a pair in the index.
const pairSep = "\x1f"

// decodeTermsPage reads the first n buckets of a terms aggregation named
// g, pairs shown key:value as the API shows them; pairs says there were
// some.
func decodeTermsPage(b []byte, n int) (out []groupCount, pairs bool, err error) {
	var res struct {
		Aggregations struct {
			G struct {
				Buckets []struct {
					Key      string `json:"key"`
					DocCount int64  `json:"doc_count"`
				} `json:"buckets"`
			} `json:"g"`
		} `json:"aggregations"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, false, fmt.Errorf("decoding a terms aggregation: %w", err)
	}
	for _, bk := range res.Aggregations.G.Buckets[:min(n, len(res.Aggregations.G.Buckets))] {
		pairs = pairs || strings.Contains(bk.Key, pairSep)
		out = append(out, groupCount{Value: strings.Replace(bk.Key, pairSep, ":", 1), Count: bk.DocCount})
	}
	return out, pairs, nil
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
