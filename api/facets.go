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

func relatedValues(acc access, kind, id string, v versionInfo) *ValuesRelationship {
	rel := &ValuesRelationship{}
	rel.Values.Links.Related = scopePath(acc.scope) + "/inventory/assets/" + kind + "/" + id + "/values?version=" + v.served
	return rel
}

// pageOfNames pages a static, ordered list of names with cursors that
// carry the name.
func pageOfNames(q url.Values, names []string, limit int, hash string) (start, end int, next, prev string, err *Error) {
	pg, perr := parsePage(q, hash)
	if perr != nil {
		return 0, 0, "", "", perr
	}
	start, end = 0, min(limit, len(names))
	switch {
	case pg.after != nil:
		i := slices.Index(names, pg.after.ID)
		start, end = i+1, min(i+1+limit, len(names))
	case pg.before != nil:
		i := slices.Index(names, pg.before.ID)
		if i < 0 {
			i = 0
		}
		start, end = max(i-limit, 0), i
	}
	if end > start {
		if end < len(names) {
			next = encodeCursor(cursor{ID: names[end-1], Query: hash})
		}
		if start > 0 {
			prev = encodeCursor(cursor{ID: names[start], Query: hash})
		}
	}
	return start, end, next, prev, nil
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
	wanted, perr := parseAssetTypes(q)
	if perr != nil {
		return nil, PaginationLinks{}, perr
	}
	limit, perr := parseLimit(q)
	if perr != nil {
		return nil, PaginationLinks{}, perr
	}
	var fields []F
	var names []string
	for _, f := range all {
		if appliesTo(types(f), wanted) {
			fields = append(fields, f)
			names = append(names, name(f))
		}
	}
	start, end, next, prev, perr := pageOfNames(q, names, limit, queryHash(kind, strings.Join(wanted, ",")))
	if perr != nil {
		return nil, PaginationLinks{}, perr
	}
	return fields[start:end], pageLinks(r, next, prev), nil
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
	v := stateOf(r.Context()).version
	doc := &GroupFieldsDocument{Data: []GroupFieldResource{}, Links: links}
	for _, g := range page {
		doc.Data = append(doc.Data, GroupFieldResource{
			Type: "group_fields", ID: g.ID,
			Attributes:    GroupFieldAttrs{Name: g.Name, AssetTypes: g.AssetTypes},
			Relationships: relatedValues(acc, "groups", g.ID, v),
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
	v := stateOf(r.Context()).version
	doc := &FilterFieldsDocument{Data: []FilterFieldResource{}, Links: links}
	for _, f := range page {
		res := FilterFieldResource{Type: "filter_fields", ID: f.ID, Attributes: FilterFieldAttrs{Name: f.Name, Type: f.Type, AssetTypes: f.AssetTypes}}
		if f.Name != "q" { // free text has no values to suggest
			res.Relationships = relatedValues(acc, "filters", f.ID, v)
		}
		doc.Data = append(doc.Data, res)
	}
	return doc, nil
}

// fieldID reads a field UUID path parameter.
func fieldID(r *http.Request, param string) (string, *Error) {
	v := r.PathValue(param)
	u, err := uuid.Parse(v)
	if err != nil || len(v) != 36 {
		return "", badParameter(param, "The %s must be a UUID.", param)
	}
	return u.String(), nil
}

// groupValues answers GET .../inventory/assets/groups/{group_field_id}/values.
func (s *Server) groupValues(c fuego.ContextNoBody) (*GroupValuesDocument, error) {
	r := c.Request()
	acc, err := s.begin(r, store.Read)
	if err != nil {
		return nil, err
	}
	id, perr := fieldID(r, "group_field_id")
	if perr != nil {
		return nil, perr
	}
	g, ok := index.NewCatalogue().GroupByID(id)
	if !ok {
		return nil, notFound("There is no group field with this id; list them at .../inventory/assets/groups.")
	}
	q := r.URL.Query()
	types, perr := parseAssetTypes(q)
	if perr != nil {
		return nil, perr
	}
	if !appliesTo(g.AssetTypes, types) {
		return nil, badParameter("asset_types", "The group field %s does not apply to these asset types.", g.Name)
	}
	req := index.GroupValuesRequest{Scope: indexScope(acc.scope), Field: g.Name}
	if req.Filter, perr = parseFilter(q.Get("filter"), "filter", ""); perr != nil {
		return nil, perr
	}
	isGroupSort := func(n string) bool { return slices.Contains(index.GroupSortFields, n) }
	if req.Sort, perr = parseSort(q.Get("sort"), "sort", "", isGroupSort, index.GroupSortFields); perr != nil {
		return nil, perr
	}
	if req.Limit, perr = parseLimit(q); perr != nil {
		return nil, perr
	}
	if req.Meta, perr = parseMetaFields(q); perr != nil {
		return nil, perr
	}
	if req.Aggregate, perr = parseAggregate(q); perr != nil {
		return nil, perr
	}
	hash := queryHash("group_values", acc.scope.Kind, acc.scope.ID, g.ID, filterString(req.Filter), sortString(req.Sort), aggregateString(req.Aggregate))
	pg, perr := parsePage(q, hash)
	if perr != nil {
		return nil, perr
	}
	if pg.after != nil {
		req.After = pg.after.ID
	}
	if pg.before != nil {
		req.Before = pg.before.ID
	}
	res, err := s.index.GroupValues(r.Context(), req)
	if err != nil {
		return nil, searchFailed(err)
	}
	doc := &GroupValuesDocument{Data: make([]GroupValueResource, len(res.Values))}
	for i, gv := range res.Values {
		doc.Data[i] = GroupValueResource{Type: "group_values", ID: valueID(g.ID, gv.Value), Attributes: GroupValueAttrs{Value: gv.Value}, Meta: gv.Meta}
	}
	var next, prev string
	if n := len(res.Values); n > 0 {
		if res.HasAfter {
			next = encodeCursor(cursor{ID: res.Values[n-1].Cursor, Query: hash})
		}
		if res.HasBefore {
			prev = encodeCursor(cursor{ID: res.Values[0].Cursor, Query: hash})
		}
	}
	doc.Links = pageLinks(r, next, prev)
	return doc, nil
}

// metaFieldNames are the contract's meta_fields values.
func metaFieldNames() []string {
	return []string{index.MetaCount, index.MetaLastSeenAt, index.MetaUpdatedAt, index.MetaRiskScore, index.MetaIssues,
		index.MetaLabels, index.MetaTags, index.MetaBuiltAt, index.MetaAll}
}

// parseMetaFields reads meta_fields: a comma list (or repeated parameter).
func parseMetaFields(q url.Values) ([]string, *Error) {
	var out []string
	known := metaFieldNames()
	for _, v := range q["meta_fields"] {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if !slices.Contains(known, f) {
				return nil, badParameter("meta_fields", "%q is not a meta field; use any of %s.", truncate(f, 40), strings.Join(known, ", "))
			}
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// parseAggregate reads aggregate[field]=mode parameters.
func parseAggregate(q url.Values) (map[string]string, *Error) {
	out := map[string]string{}
	for k, vs := range q {
		field, ok := strings.CutPrefix(k, "aggregate[")
		if !ok {
			continue
		}
		field, ok = strings.CutSuffix(field, "]")
		modes := index.MetaModes(field)
		if !ok || len(modes) == 0 {
			return nil, badParameter(k, "%s is not an aggregate parameter; use aggregate[FIELD] with FIELD one of built_at, issues, labels, last_seen_at, risk_score, tags, updated_at.", truncate(k, 40))
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
	id, perr := fieldID(r, "filter_id")
	if perr != nil {
		return nil, perr
	}
	f, ok := index.NewCatalogue().FilterByID(id)
	if !ok || f.Name == "q" {
		return nil, notFound("There is no filter field with values for this id; list them at .../inventory/assets/filters.")
	}
	q := r.URL.Query()
	req := index.FilterValuesRequest{Scope: indexScope(acc.scope), Field: f.Name, Q: q.Get("q"), Key: q.Get("key")}
	// Characters, not bytes, as the documented maxLength counts.
	if utf8.RuneCountInString(req.Q) > maxFilterQ {
		return nil, badParameter("q", "q is at most %d characters.", maxFilterQ)
	}
	if q.Has("keys_only") {
		// Only the two spellings of a documented boolean; strconv.ParseBool
		// would also take 1, t, F and the like.
		switch q.Get("keys_only") {
		case "true":
			req.KeysOnly = true
		case "false":
		default:
			return nil, badParameter("keys_only", "keys_only must be true or false.")
		}
	}
	if !f.Object() && req.KeysOnly {
		return nil, badParameter("keys_only", "keys_only applies to object fields (tags, image_labels) only.")
	}
	if !f.Object() && q.Has("key") {
		return nil, badParameter("key", "key applies to object fields (tags, image_labels) only.")
	}
	if req.KeysOnly && req.Key != "" {
		return nil, badParameter("key", "Give keys_only or key, not both.")
	}
	if req.Limit, perr = parseLimit(q); perr != nil {
		return nil, perr
	}
	hash := queryHash("filter_values", acc.scope.Kind, acc.scope.ID, f.ID, req.Q, strconv.FormatBool(req.KeysOnly), req.Key)
	pg, perr := parsePage(q, hash)
	if perr != nil {
		return nil, perr
	}
	if pg.after != nil {
		req.After = pg.after.ID
	}
	if pg.before != nil {
		req.Before = pg.before.ID
	}
	res, err := s.index.FilterValues(r.Context(), req)
	if err != nil {
		return nil, searchFailed(err)
	}
	doc := &FilterValuesDocument{Data: make([]FilterValueResource, len(res.Values))}
	for i, fv := range res.Values {
		doc.Data[i] = FilterValueResource{Type: "filter_values", ID: valueID(f.ID, fv.Key, fv.Value), Attributes: FilterValueAttrs{Key: fv.Key, Value: fv.Value}}
	}
	var next, prev string
	if n := len(res.Values); n > 0 {
		if res.HasAfter {
			next = encodeCursor(cursor{ID: res.Values[n-1].Cursor, Query: hash})
		}
		if res.HasBefore {
			prev = encodeCursor(cursor{ID: res.Values[0].Cursor, Query: hash})
		}
	}
	doc.Links = pageLinks(r, next, prev)
	return doc, nil
}
