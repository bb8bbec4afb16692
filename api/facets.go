package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-fuego/fuego"
	"github.com/google/uuid"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// Facet resources of the contract.

// RelatedLinks is a relationship's links.
type RelatedLinks struct {
	Related string `json:"related"`
}

// ValuesRelationship points at a field's values endpoint.
type ValuesRelationship struct {
	Values struct {
		Links RelatedLinks `json:"links"`
	} `json:"values"`
}

// GroupFieldResource is one field assets can be grouped by.
type GroupFieldResource struct {
	Type          string              `json:"type" example:"group_fields"`
	ID            string              `json:"id"`
	Attributes    GroupFieldAttrs     `json:"attributes"`
	Relationships *ValuesRelationship `json:"relationships,omitempty"`
}

// GroupFieldAttrs are a group field's attributes.
type GroupFieldAttrs struct {
	Name       string   `json:"name" example:"registry"`
	AssetTypes []string `json:"asset_types"`
}

// GroupFieldsDocument lists group fields.
type GroupFieldsDocument struct {
	Data  []GroupFieldResource `json:"data"`
	Links PaginationLinks      `json:"links"`
}

// FilterFieldResource is one RSQL selector.
type FilterFieldResource struct {
	Type          string              `json:"type" example:"filter_fields"`
	ID            string              `json:"id"`
	Attributes    FilterFieldAttrs    `json:"attributes"`
	Relationships *ValuesRelationship `json:"relationships,omitempty"`
}

// FilterFieldAttrs are a filter field's attributes.
type FilterFieldAttrs struct {
	Name       string   `json:"name" example:"registry"`
	Type       string   `json:"type" example:"string"`
	AssetTypes []string `json:"asset_types"`
}

// FilterFieldsDocument lists filter fields.
type FilterFieldsDocument struct {
	Data  []FilterFieldResource `json:"data"`
	Links PaginationLinks       `json:"links"`
}

// GroupValueResource is one facet value with its requested meta.
type GroupValueResource struct {
	Type       string           `json:"type" example:"group_values"`
	ID         string           `json:"id"`
	Attributes GroupValueAttrs  `json:"attributes"`
	Meta       *index.GroupMeta `json:"meta,omitempty"`
}

// GroupValueAttrs holds the value.
type GroupValueAttrs struct {
	Value string `json:"value"`
}

// GroupValuesDocument is a page of facet values.
type GroupValuesDocument struct {
	Data  []GroupValueResource `json:"data"`
	Links PaginationLinks      `json:"links"`
}

// FilterValueResource is one autocomplete suggestion.
type FilterValueResource struct {
	Type       string           `json:"type" example:"filter_values"`
	ID         string           `json:"id"`
	Attributes FilterValueAttrs `json:"attributes"`
}

// FilterValueAttrs is a value, with its key for object fields.
type FilterValueAttrs struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
}

// FilterValuesDocument is a page of suggestions.
type FilterValuesDocument struct {
	Data  []FilterValueResource `json:"data"`
	Links PaginationLinks       `json:"links"`
}

// valueID gives a facet value a stable UUID: v5 of its field and text.
func valueID(fieldID string, parts ...string) string {
	ns, err := uuid.Parse(fieldID)
	if err != nil {
		ns = uuid.Nil
	}
	return uuid.NewSHA1(ns, []byte(strings.Join(parts, "\x1f"))).String()
}

func relatedValues(acc access, kind, id string) *ValuesRelationship {
	rel := &ValuesRelationship{}
	rel.Values.Links.Related = scopeURL(acc) + "/inventory/assets/" + kind + "/" + id + "/values?version=" + acc.version.served
	return rel
}

// pageOfNames pages a static, ordered list of names with cursors that
// carry the name: names[start:end] is the page.
func pageOfNames(pg page, names []string, limit int) (start, end int, links PaginationLinks) {
	after, before := pg.ids()
	start, end = 0, min(limit, len(names))
	switch {
	case pg.after != nil:
		i := slices.Index(names, after)
		start, end = i+1, min(i+1+limit, len(names))
	case pg.before != nil:
		i := max(slices.Index(names, before), 0)
		start, end = max(i-limit, 0), i
	}
	links = pg.links(end-start, end < len(names), start > 0, idEdges(names[start:end], func(n string) string { return n }))
	return start, end, links
}

func appliesTo(fieldTypes, wanted []string) bool {
	if len(wanted) == 0 {
		return true
	}
	for _, t := range wanted {
		if slices.Contains(fieldTypes, t) {
			return true
		}
	}
	return false
}

// fieldPage selects the catalogue fields that apply to the requested
// asset_types and returns the page of them the cursors ask for.
func fieldPage[F any](r *http.Request, kind string, all []F, name func(F) string, types func(F) []string) ([]F, PaginationLinks, error) {
	q := r.URL.Query()
	wanted, err := parseAssetTypes(q)
	if err != nil {
		return nil, PaginationLinks{}, err
	}
	limit, err := parseLimit(q)
	if err != nil {
		return nil, PaginationLinks{}, err
	}
	var fields []F
	var names []string
	for _, f := range all {
		if appliesTo(types(f), wanted) {
			fields = append(fields, f)
			names = append(names, name(f))
		}
	}
	pg, err := parsePage(r, queryHash(kind, strings.Join(wanted, ",")))
	if err != nil {
		return nil, PaginationLinks{}, err
	}
	start, end, links := pageOfNames(pg, names, limit)
	return fields[start:end], links, nil
}

// listGroupFields answers GET .../inventory/assets/groups.
func (s *Server) listGroupFields(c fuego.ContextNoBody) (*GroupFieldsDocument, error) {
	r := c.Request()
	acc, err := s.begin(r, store.Read)
	if err != nil {
		return nil, err
	}
	page, links, err := fieldPage(r, "group_fields", index.NewCatalogue().Groups(),
		func(g index.GroupField) string { return g.Name }, func(g index.GroupField) []string { return g.AssetTypes })
	if err != nil {
		return nil, err
	}
	doc := &GroupFieldsDocument{Data: []GroupFieldResource{}, Links: links}
	for _, g := range page {
		doc.Data = append(doc.Data, GroupFieldResource{
			Type: "group_fields", ID: g.ID,
			Attributes:    GroupFieldAttrs{Name: g.Name, AssetTypes: g.AssetTypes},
			Relationships: relatedValues(acc, "groups", g.ID),
		})
	}
	return doc, nil
}

// listFilterFields answers GET .../inventory/assets/filters.
func (s *Server) listFilterFields(c fuego.ContextNoBody) (*FilterFieldsDocument, error) {
	r := c.Request()
	acc, err := s.begin(r, store.Read)
	if err != nil {
		return nil, err
	}
	page, links, err := fieldPage(r, "filter_fields", index.NewCatalogue().Filters(),
		func(f index.FilterField) string { return f.Name }, func(f index.FilterField) []string { return f.AssetTypes })
	if err != nil {
		return nil, err
	}
	doc := &FilterFieldsDocument{Data: []FilterFieldResource{}, Links: links}
	for _, f := range page {
		res := FilterFieldResource{Type: "filter_fields", ID: f.ID, Attributes: FilterFieldAttrs{Name: f.Name, Type: f.Type, AssetTypes: f.AssetTypes}}
		if f.Name != "q" { // free text has no values to suggest
			res.Relationships = relatedValues(acc, "filters", f.ID)
		}
		doc.Data = append(doc.Data, res)
	}
	return doc, nil
}

// groupValues answers GET .../inventory/assets/groups/{group_field_id}/values.
func (s *Server) groupValues(c fuego.ContextNoBody) (*GroupValuesDocument, error) {
	r := c.Request()
	acc, err := s.begin(r, store.Read)
	if err != nil {
		return nil, err
	}
	id, err := pathUUID(r, "group_field_id")
	if err != nil {
		return nil, err
	}
	g, ok := index.NewCatalogue().GroupByID(id)
	if !ok {
		return nil, notFound("There is no group field with this id; list them at .../inventory/assets/groups.")
	}
	req, pg, err := s.parseGroupValues(r, acc, g)
	if err != nil {
		return nil, err
	}
	res, err := s.index.GroupValues(r.Context(), req)
	if err != nil {
		return nil, searchFailed(err)
	}
	doc := &GroupValuesDocument{Data: make([]GroupValueResource, len(res.Values))}
	for i, gv := range res.Values {
		doc.Data[i] = GroupValueResource{Type: "group_values", ID: valueID(g.ID, gv.Value), Attributes: GroupValueAttrs{Value: gv.Value}, Meta: gv.Meta}
	}
	doc.Links = pg.links(len(res.Values), res.HasAfter, res.HasBefore, idEdges(res.Values, func(v index.GroupValue) string { return v.Cursor }))
	return doc, nil
}

// parseGroupValues reads the parameters of group values of g: the index
// request and its page.
func (s *Server) parseGroupValues(r *http.Request, acc access, g index.GroupField) (index.GroupValuesRequest, page, error) {
	q := r.URL.Query()
	req := index.GroupValuesRequest{Scope: indexScope(acc.scope), Field: g.Name, MaxBuckets: s.cfg.GroupValuesMaxBuckets}
	types, err := parseAssetTypes(q)
	if err != nil {
		return req, page{}, err
	}
	if !appliesTo(g.AssetTypes, types) {
		return req, page{}, badParameter("asset_types", "The group field %s does not apply to these asset types.", g.Name)
	}
	if req.Filter, err = parseFilter(q.Get("filter"), "filter", ""); err != nil {
		return req, page{}, err
	}
	if err = checkFilterCost(req.Filter, s.cfg.FilterCostMax, "filter", ""); err != nil {
		return req, page{}, err
	}
	if req.Sort, err = parseSort(q.Get("sort"), "sort", "", index.GroupSortFields); err != nil {
		return req, page{}, err
	}
	if req.Limit, err = parseLimit(q); err != nil {
		return req, page{}, err
	}
	if req.Meta, err = parseMetaFields(q); err != nil {
		return req, page{}, err
	}
	if req.Aggregate, err = parseAggregate(q); err != nil {
		return req, page{}, err
	}
	hash := queryHash("group_values", acc.scope.Kind, acc.scope.ID, g.ID, filterString(req.Filter), sortString(req.Sort), aggregateString(req.Aggregate))
	pg, err := parsePage(r, hash)
	if err != nil {
		return req, page{}, err
	}
	req.After, req.Before = pg.ids()
	return req, pg, nil
}

// parseMetaFields reads meta_fields: a comma list (or repeated parameter)
// of index.MetaFields.
func parseMetaFields(q url.Values) ([]string, error) {
	var out []string
	known := index.MetaFields()
	for _, f := range listItems(q["meta_fields"]...) {
		if !slices.Contains(known, f) {
			return nil, badParameter("meta_fields", "%q is not a meta field; use any of %s.", truncate(f, 40), strings.Join(known, ", "))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// parseAggregate reads aggregate[field]=mode parameters.
func parseAggregate(q url.Values) (map[string]string, error) {
	out := map[string]string{}
	for k, vs := range q {
		field, ok := strings.CutPrefix(k, "aggregate[")
		if !ok {
			continue
		}
		field, ok = strings.CutSuffix(field, "]")
		modes := index.MetaModes(field)
		if !ok || len(modes) == 0 {
			return nil, badParameter(k, "%s is not an aggregate parameter; use aggregate[FIELD] with FIELD one of %s.", truncate(k, 40), strings.Join(index.AggregatedMetaFields(), ", "))
		}
		mode := vs[len(vs)-1]
		if !slices.Contains(modes, mode) {
			return nil, badParameter(k, "%s must be one of %s.", k, strings.Join(modes, ", "))
		}
		out[field] = mode
	}
	return out, nil
}

func aggregateString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + m[k] + ";")
	}
	return b.String()
}

// maxFilterQ bounds the q of filter values, in characters.
const maxFilterQ = 100

// filterValues answers GET .../inventory/assets/filters/{filter_id}/values.
func (s *Server) filterValues(c fuego.ContextNoBody) (*FilterValuesDocument, error) {
	r := c.Request()
	acc, err := s.begin(r, store.Read)
	if err != nil {
		return nil, err
	}
	id, err := pathUUID(r, "filter_id")
	if err != nil {
		return nil, err
	}
	f, ok := index.NewCatalogue().FilterByID(id)
	if !ok || f.Name == "q" {
		return nil, notFound("There is no filter field with values for this id; list them at .../inventory/assets/filters.")
	}
	req, pg, err := s.parseFilterValues(r, acc, f)
	if err != nil {
		return nil, err
	}
	res, err := s.index.FilterValues(r.Context(), req)
	if err != nil {
		return nil, searchFailed(err)
	}
	doc := &FilterValuesDocument{Data: make([]FilterValueResource, len(res.Values))}
	for i, fv := range res.Values {
		doc.Data[i] = FilterValueResource{Type: "filter_values", ID: valueID(f.ID, fv.Key, fv.Value), Attributes: FilterValueAttrs{Key: fv.Key, Value: fv.Value}}
	}
	doc.Links = pg.links(len(res.Values), res.HasAfter, res.HasBefore, idEdges(res.Values, func(v index.FilterValue) string { return v.Cursor }))
	return doc, nil
}

// parseFilterValues reads the parameters of filter values of f: the index
// request and its page.
func (s *Server) parseFilterValues(r *http.Request, acc access, f index.FilterField) (index.FilterValuesRequest, page, error) {
	q := r.URL.Query()
	req := index.FilterValuesRequest{Scope: indexScope(acc.scope), Field: f.Name, Q: q.Get("q"), Key: q.Get("key"),
		MaxPages: s.cfg.FilterValuesMaxPages}
	// Characters, not bytes, as the documented maxLength counts.
	if utf8.RuneCountInString(req.Q) > maxFilterQ {
		return req, page{}, badParameter("q", "q is at most %d characters.", maxFilterQ)
	}
	if req.Q != "" && !index.QNarrows(f) {
		return req, page{}, badParameter("q", "q narrows the values of text fields only; %s is a %s field: "+
			"list its values without q, or filter the assets with =ge= and =lt= on it.", f.Name, f.FieldType)
	}
	var err error
	if q.Has("keys_only") {
		if req.KeysOnly, err = parseBool(q, "keys_only"); err != nil {
			return req, page{}, err
		}
	}
	if !f.Object() && req.KeysOnly {
		return req, page{}, badParameter("keys_only", "keys_only applies to object fields (tags, image_labels) only.")
	}
	if !f.Object() && q.Has("key") {
		return req, page{}, badParameter("key", "key applies to object fields (tags, image_labels) only.")
	}
	if req.KeysOnly && req.Key != "" {
		return req, page{}, badParameter("key", "Give keys_only or key, not both.")
	}
	if req.Limit, err = parseLimit(q); err != nil {
		return req, page{}, err
	}
	hash := queryHash("filter_values", acc.scope.Kind, acc.scope.ID, f.ID, req.Q, strconv.FormatBool(req.KeysOnly), req.Key)
	pg, err := parsePage(r, hash)
	if err != nil {
		return req, page{}, err
	}
	req.After, req.Before = pg.ids()
	return req, pg, nil
}
