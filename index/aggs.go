package index

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openinventory/assets/rsql"
)

// Meta field names of group values (the contract's meta_fields).
const (
	MetaCount      = "count"
	MetaLastSeenAt = "last_seen_at"
	MetaUpdatedAt  = "updated_at"
	MetaRiskScore  = "risk_score"
	MetaIssues     = "issues"
	MetaLabels     = "labels"
	MetaTags       = "tags"
	MetaBuiltAt    = "built_at"
	MetaAll        = "all"
)

// metaModes lists, per meta field, the aggregate modes the contract's
// aggregate[...] parameter documents; the default is "last".
var metaModes = map[string][]string{
	MetaLastSeenAt: {"max", "min", "first", "last"},
	MetaUpdatedAt:  {"max", "min", "first", "last"},
	MetaBuiltAt:    {"max", "min", "first", "last"},
	MetaRiskScore:  {"max", "min", "first", "last", "sum"},
	MetaIssues:     {"first", "last", "sum"},
	MetaLabels:     {"first", "last", "sum"},
	MetaTags:       {"first", "last", "sum"},
}

// metaOrder is the order of meta fields for "all" and for output.
var metaOrder = []string{MetaCount, MetaLastSeenAt, MetaUpdatedAt, MetaRiskScore, MetaIssues, MetaLabels, MetaTags, MetaBuiltAt}

// maxMetaTerms caps labels and tags in one group value (the contract's 1000).
const maxMetaTerms = 1000

// MetaModes returns the aggregate modes a meta field accepts.
func MetaModes(field string) []string { return slices.Clone(metaModes[field]) }

// GroupSortFields are the sort keys of group values.
var GroupSortFields = []string{"value", MetaCount, MetaLastSeenAt, MetaUpdatedAt, MetaRiskScore, MetaBuiltAt, MetaIssues}

// GroupValuesRequest asks for the values of one group field.
type GroupValuesRequest struct {
	Scope  Scope
	Field  string    // group field name (see Catalogue.GroupByID)
	Filter rsql.Node // which assets are aggregated; may be nil
	// Meta lists meta fields to return (count, last_seen_at, ..., all);
	// empty means no meta. Aggregate overrides a field's mode.
	Meta      []string
	Aggregate map[string]string
	// Sort keys from GroupSortFields; count ascending when empty; ties
	// are always broken by value ascending.
	Sort  []SortField
	Limit int // 10 when zero
	// After / Before: the Cursor of the last / first value of the
	// neighbouring page. At most one.
	After, Before string
}

// GroupValue is one facet value.
type GroupValue struct {
	Value  string
	Cursor string     // opaque position for GroupValuesRequest.After/Before
	Meta   *GroupMeta // nil unless meta fields were requested
}

// GroupValuesResult is one page of group values.
type GroupValuesResult struct {
	Values              []GroupValue
	HasBefore, HasAfter bool
}

// IssueTotals are aggregated issue counts.
type IssueTotals struct {
	Critical int64 `json:"critical"`
	High     int64 `json:"high"`
	Medium   int64 `json:"medium"`
	Low      int64 `json:"low"`
	Total    int64 `json:"total"`
}

// Tag is one key/value pair.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// GroupMeta holds the requested meta fields of a group value. Its JSON has
// exactly the requested fields (null where no asset has a value), in the
// contract's names.
type GroupMeta struct {
	Count      int64
	LastSeenAt *time.Time
	UpdatedAt  *time.Time
	RiskScore  *int64
	Issues     *IssueTotals
	Labels     []string // sorted, at most 1000
	Tags       []Tag    // sorted by key then value, at most 1000
	BuiltAt    *time.Time

	Fields []string // requested fields, in metaOrder
}

// MarshalJSON writes the requested fields only.
func (m *GroupMeta) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(m.Fields))
	for _, f := range m.Fields {
		switch f {
		case MetaCount:
			out[f] = m.Count
		case MetaLastSeenAt:
			out[f] = m.LastSeenAt
		case MetaUpdatedAt:
			out[f] = m.UpdatedAt
		case MetaRiskScore:
			out[f] = m.RiskScore
		case MetaIssues:
			out[f] = m.Issues
		case MetaLabels:
			out[f] = nonNil(m.Labels)
		case MetaTags:
			out[f] = nonNil(m.Tags)
		case MetaBuiltAt:
			out[f] = m.BuiltAt
		}
	}
	return json.Marshal(out)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// metaSpec maps meta fields to their aggregate mode (count has none).
type metaSpec map[string]string

func (r *GroupValuesRequest) metaSpec() (metaSpec, []string, error) {
	spec := metaSpec{}
	var fields []string
	for _, f := range r.Meta {
		if f == MetaAll {
			fields = append(fields, metaOrder...)
			continue
		}
		if f != MetaCount && metaModes[f] == nil {
			return nil, nil, invalidf("unknown meta field %q", f)
		}
		fields = append(fields, f)
	}
	for f, mode := range r.Aggregate {
		if !slices.Contains(metaModes[f], mode) {
			return nil, nil, invalidf("aggregate[%s]=%s: expected one of %s", f, mode, strings.Join(metaModes[f], ", "))
		}
	}
	ordered := make([]string, 0, len(fields))
	for _, f := range metaOrder {
		if slices.Contains(fields, f) {
			ordered = append(ordered, f)
			spec[f] = r.mode(f)
		}
	}
	return spec, ordered, nil
}

func (r *GroupValuesRequest) mode(f string) string {
	if f == MetaCount {
		return ""
	}
	if m, ok := r.Aggregate[f]; ok {
		return m
	}
	return "last"
}

// metaESField is the document field of a date/number meta field.
var metaESField = map[string]string{
	MetaLastSeenAt: "last_seen_at", MetaUpdatedAt: "updated_at", MetaBuiltAt: "built_at", MetaRiskScore: "risk_score",
}

var severities = []string{"critical", "high", "medium", "low"}

// aggs builds the sub-aggregations that compute spec in each bucket.
func (spec metaSpec) aggs() Query {
	a := Query{}
	var first, last []string
	for f, mode := range spec {
		switch mode {
		case "first":
			first = append(first, f)
			continue
		case "last":
			last = append(last, f)
			continue
		}
		switch f {
		case MetaLastSeenAt, MetaUpdatedAt, MetaBuiltAt, MetaRiskScore:
			a[f+"_"+mode] = Query{mode: Query{"field": metaESField[f]}}
			if mode == "sum" {
				a[f+"_count"] = Query{"value_count": Query{"field": metaESField[f]}}
			}
		case MetaIssues:
			for _, s := range severities {
				a["issues_"+s] = Query{"sum": Query{"field": "issues." + s}}
			}
		case MetaLabels:
			a["labels_all"] = Query{"terms": Query{"field": "labels", "size": maxMetaTerms, "order": Query{"_key": "asc"}}}
		case MetaTags:
			a["tags_all"] = Query{"terms": Query{"field": "tags", "size": maxMetaTerms, "order": Query{"_key": "asc"}}}
		}
	}
	// first/last: the one asset with the earliest/latest updated_at.
	topHit := func(fields []string, order string) Query {
		src := make([]string, 0, len(fields))
		for _, f := range fields {
			if e := metaESField[f]; e != "" {
				src = append(src, e)
			} else {
				src = append(src, f)
			}
		}
		slices.Sort(src)
		return Query{"top_hits": Query{
			"size": 1, "_source": Query{"includes": src},
			"sort": []any{Query{"updated_at": Query{"order": order}}, Query{"id": Query{"order": "asc"}}},
		}}
	}
	if len(first) > 0 {
		a["first"] = topHit(first, "asc")
	}
	if len(last) > 0 {
		a["last"] = topHit(last, "desc")
	}
	return a
}

// bucket is one decoded aggregation bucket.
type bucket struct {
	key      string // the raw keyword (pairs with their separator)
	count    int64
	subs     map[string]json.RawMessage
	meta     GroupMeta
	sortKeys []float64 // NaN for a missing value
}

func decodeBucket(raw json.RawMessage, composite bool) (bucket, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return bucket{}, err
	}
	var b bucket
	keyRaw := m["key"]
	if composite {
		var k map[string]json.RawMessage
		if err := json.Unmarshal(keyRaw, &k); err != nil {
			return b, err
		}
		keyRaw = k["v"]
	}
	if err := json.Unmarshal(keyRaw, &b.key); err != nil {
		return b, fmt.Errorf("bucket key %s: %w", keyRaw, err)
	}
	if err := json.Unmarshal(m["doc_count"], &b.count); err != nil {
		return b, err
	}
	delete(m, "key")
	delete(m, "doc_count")
	b.subs = m
	return b, nil
}

type metricAgg struct {
	Value *float64 `json:"value"`
}

type topHitsAgg struct {
	Hits struct {
		Hits []struct {
			Source Document `json:"_source"`
		} `json:"hits"`
	} `json:"hits"`
}

type termsAgg struct {
	Buckets []struct {
		Key string `json:"key"`
	} `json:"buckets"`
}

// readMeta fills b.meta from the sub-aggregations of spec.
func (b *bucket) readMeta(spec metaSpec) error {
	b.meta.Count = b.count
	hit := func(name string) (*Document, error) {
		var th topHitsAgg
		if err := json.Unmarshal(b.subs[name], &th); err != nil {
			return nil, err
		}
		if len(th.Hits.Hits) == 0 {
			return nil, nil
		}
		return &th.Hits.Hits[0].Source, nil
	}
	metric := func(name string) (*float64, error) {
		var m metricAgg
		err := json.Unmarshal(b.subs[name], &m)
		return m.Value, err
	}
	for f, mode := range spec {
		if f == MetaCount {
			continue
		}
		if mode == "first" || mode == "last" {
			d, err := hit(mode)
			if err != nil {
				return err
			}
			if d != nil {
				b.meta.setFromDoc(f, d)
			} else if f == MetaLabels || f == MetaTags {
				b.meta.setFromDoc(f, &Document{})
			}
			continue
		}
		switch f {
		case MetaLastSeenAt, MetaUpdatedAt, MetaBuiltAt:
			v, err := metric(f + "_" + mode)
			if err != nil {
				return err
			}
			if v != nil {
				t := time.UnixMilli(int64(*v)).UTC()
				*b.meta.timeField(f) = &t
			}
		case MetaRiskScore:
			v, err := metric(f + "_" + mode)
			if err != nil {
				return err
			}
			if mode == "sum" {
				n, err := metric(f + "_count")
				if err != nil {
					return err
				}
				if n == nil || *n == 0 {
					v = nil
				}
			}
			if v != nil {
				x := int64(math.Round(*v))
				b.meta.RiskScore = &x
			}
		case MetaIssues:
			var t IssueTotals
			for i, s := range severities {
				v, err := metric("issues_" + s)
				if err != nil {
					return err
				}
				if v != nil {
					*[]*int64{&t.Critical, &t.High, &t.Medium, &t.Low}[i] = int64(*v)
				}
			}
			t.Total = t.Critical + t.High + t.Medium + t.Low
			b.meta.Issues = &t
		case MetaLabels, MetaTags:
			var ta termsAgg
			if err := json.Unmarshal(b.subs[f+"_all"], &ta); err != nil {
				return err
			}
			if f == MetaLabels {
				b.meta.Labels = make([]string, len(ta.Buckets))
				for i, x := range ta.Buckets {
					b.meta.Labels[i] = x.Key
				}
			} else {
				b.meta.Tags = make([]Tag, len(ta.Buckets))
				for i, x := range ta.Buckets {
					k, v := splitPair(x.Key)
					b.meta.Tags[i] = Tag{Key: k, Value: v}
				}
			}
		}
	}
	return nil
}

func (m *GroupMeta) timeField(f string) **time.Time {
	switch f {
	case MetaLastSeenAt:
		return &m.LastSeenAt
	case MetaUpdatedAt:
		return &m.UpdatedAt
	}
	return &m.BuiltAt
}

// setFromDoc takes field f from the one asset of a first/last mode.
func (m *GroupMeta) setFromDoc(f string, d *Document) {
	switch f {
	case MetaLastSeenAt:
		if !d.LastSeenAt.IsZero() {
			t := d.LastSeenAt
			m.LastSeenAt = &t
		}
	case MetaUpdatedAt:
		if !d.UpdatedAt.IsZero() {
			t := d.UpdatedAt
			m.UpdatedAt = &t
		}
	case MetaBuiltAt:
		m.BuiltAt = d.BuiltAt
	case MetaRiskScore:
		if d.RiskScore != nil {
			x := int64(*d.RiskScore)
			m.RiskScore = &x
		}
	case MetaIssues:
		i := d.Issues
		m.Issues = &IssueTotals{Critical: int64(i.Critical), High: int64(i.High), Medium: int64(i.Medium), Low: int64(i.Low)}
		m.Issues.Total = m.Issues.Critical + m.Issues.High + m.Issues.Medium + m.Issues.Low
	case MetaLabels:
		m.Labels = slices.Compact(slices.Sorted(slices.Values(d.Labels)))
		if len(m.Labels) > maxMetaTerms {
			m.Labels = m.Labels[:maxMetaTerms]
		}
		m.Labels = nonNil(m.Labels)
	case MetaTags:
		m.Tags = make([]Tag, 0, len(d.Tags))
		for _, p := range d.Tags { // already sorted by key
			k, v := splitPair(p)
			m.Tags = append(m.Tags, Tag{Key: k, Value: v})
		}
	}
}

// sortKeys computes the bucket's sort tuple for the request's sort.
func (b *bucket) computeSortKeys(sort []SortField) {
	keys := b.sortKeys[:0]
	nan := math.NaN()
	for _, s := range sort {
		switch s.Name {
		case "value":
		case MetaCount:
			keys = append(keys, float64(b.count))
		case MetaLastSeenAt, MetaUpdatedAt, MetaBuiltAt:
			if t := *b.meta.timeField(s.Name); t != nil {
				keys = append(keys, float64(t.UnixMilli()))
			} else {
				keys = append(keys, nan)
			}
		case MetaRiskScore:
			if b.meta.RiskScore != nil {
				keys = append(keys, float64(*b.meta.RiskScore))
			} else {
				keys = append(keys, nan)
			}
		case MetaIssues:
			if i := b.meta.Issues; i != nil {
				keys = append(keys, float64(i.Critical), float64(i.High), float64(i.Medium), float64(i.Low))
			} else {
				keys = append(keys, nan, nan, nan, nan)
			}
		}
	}
	b.sortKeys = keys
}

// groupCursor is a group value's position: its sort tuple and value.
type groupCursor struct {
	Keys  []*float64 `json:"k"`
	Value string     `json:"v"`
}

func encodeGroupCursor(keys []float64, value string) string {
	c := groupCursor{Keys: make([]*float64, len(keys)), Value: value}
	for i, k := range keys {
		if !math.IsNaN(k) {
			c.Keys[i] = &keys[i]
		}
	}
	b, _ := json.Marshal(c)
	return string(b)
}

func decodeGroupCursor(s string, n int) ([]float64, string, error) {
	var c groupCursor
	if err := json.Unmarshal([]byte(s), &c); err != nil || len(c.Keys) != n {
		return nil, "", invalidf("group values cursor does not belong to this sort")
	}
	keys := make([]float64, n)
	for i, k := range c.Keys {
		keys[i] = math.NaN()
		if k != nil {
			keys[i] = *k
		}
	}
	return keys, c.Value, nil
}

// compareGroup orders by the sort keys (missing last in both directions),
// then by value.
func compareGroup(sort []SortField, ak []float64, av string, bk []float64, bv string) int {
	i := 0
	for _, s := range sort {
		n := 1
		switch s.Name {
		case "value":
			if c := strings.Compare(av, bv); c != 0 {
				if s.Desc {
					return -c
				}
				return c
			}
			continue
		case MetaIssues:
			n = 4
		}
		for j := 0; j < n; j, i = j+1, i+1 {
			x, y := ak[i], bk[i]
			switch xn, yn := math.IsNaN(x), math.IsNaN(y); {
			case xn && yn:
				continue
			case xn:
				return 1
			case yn:
				return -1
			}
			if c := cmp.Compare(x, y); c != 0 {
				if s.Desc {
					return -c
				}
				return c
			}
		}
	}
	return strings.Compare(av, bv)
}

// GroupValues returns one page of the values of a group field in scope,
// with exact counts and the requested meta fields. It collects every value
// (composite aggregation, with only what the sort needs), sorts in Go, and
// computes the meta fields for the page's values alone.
func (c *Client) GroupValues(ctx context.Context, r GroupValuesRequest) (*GroupValuesResult, error) {
	g, ok := defaultCatalogue.GroupByName(r.Field)
	if !ok {
		return nil, invalidf("unknown group field %q", r.Field)
	}
	if r.After != "" && r.Before != "" {
		return nil, invalidf("both after and before")
	}
	spec, fields, err := r.metaSpec()
	if err != nil {
		return nil, err
	}
	sort, sortSpec, nkeys, err := r.sortSpec()
	if err != nil {
		return nil, err
	}
	query, err := scopedQuery(r.Scope, r.Filter)
	if err != nil {
		return nil, err
	}
	limit := r.Limit
	if limit <= 0 {
		limit = 10
	}

	all, err := c.collectGroups(ctx, g.esField, query, sortSpec)
	if err != nil {
		return nil, fmt.Errorf("grouping %s by %s: %w", c.alias, r.Field, err)
	}
	display := func(raw string) string {
		if g.pair {
			k, v := splitPair(raw)
			return k + ":" + v
		}
		return raw
	}
	for i := range all {
		all[i].computeSortKeys(sort)
	}
	slices.SortFunc(all, func(a, b bucket) int {
		return compareGroup(sort, a.sortKeys, display(a.key), b.sortKeys, display(b.key))
	})

	start, end := 0, min(limit, len(all))
	out := &GroupValuesResult{}
	switch {
	case r.After != "":
		keys, v, err := decodeGroupCursor(r.After, nkeys)
		if err != nil {
			return nil, err
		}
		start, _ = slices.BinarySearchFunc(all, 0, func(b bucket, _ int) int {
			if compareGroup(sort, b.sortKeys, display(b.key), keys, v) <= 0 {
				return -1
			}
			return 1
		})
		end = min(start+limit, len(all))
	case r.Before != "":
		keys, v, err := decodeGroupCursor(r.Before, nkeys)
		if err != nil {
			return nil, err
		}
		end, _ = slices.BinarySearchFunc(all, 0, func(b bucket, _ int) int {
			if compareGroup(sort, b.sortKeys, display(b.key), keys, v) < 0 {
				return -1
			}
			return 1
		})
		start = max(end-limit, 0)
	}
	out.HasBefore, out.HasAfter = start > 0, end < len(all)
	page := all[start:end]

	if len(fields) > 0 && len(page) > 0 {
		if err := c.groupMeta(ctx, g.esField, query, spec, page); err != nil {
			return nil, fmt.Errorf("grouping %s by %s: %w", c.alias, r.Field, err)
		}
	}
	out.Values = make([]GroupValue, len(page))
	for i := range page {
		b := &page[i]
		gv := GroupValue{Value: display(b.key), Cursor: encodeGroupCursor(b.sortKeys, display(b.key))}
		if len(fields) > 0 {
			m := b.meta
			m.Fields = fields
			gv.Meta = &m
		}
		out.Values[i] = gv
	}
	return out, nil
}

// sortSpec is the request's sort (count ascending when empty), the meta
// fields that sort needs in every bucket, and the length of a sort tuple.
func (r *GroupValuesRequest) sortSpec() ([]SortField, metaSpec, int, error) {
	sort := r.Sort
	if len(sort) == 0 {
		sort = []SortField{{Name: MetaCount}}
	}
	spec := metaSpec{}
	nkeys := 0
	for _, s := range sort {
		if !slices.Contains(GroupSortFields, s.Name) {
			return nil, nil, 0, invalidf("unknown group values sort field %q", s.Name)
		}
		if s.Name != "value" && s.Name != MetaCount {
			spec[s.Name] = r.mode(s.Name)
		}
		switch s.Name {
		case "value":
		case MetaIssues:
			nkeys += 4
		default:
			nkeys++
		}
	}
	return sort, spec, nkeys, nil
}

// GroupValuesBody returns the first request GroupValues sends to collect
// the values of r.Field: the path and a body with one composite
// aggregation named "g". Further pages repeat it with aggs.g.composite.after
// set to the previous answer's aggregations.g.after_key. The meta fields of
// the returned page take a second request, which this does not cover. It
// lets a caller (the benchmark) send the identical aggregation straight to
// Elasticsearch.
func (c *Client) GroupValuesBody(r GroupValuesRequest) (path string, body Query, err error) {
	g, ok := defaultCatalogue.GroupByName(r.Field)
	if !ok {
		return "", nil, invalidf("unknown group field %q", r.Field)
	}
	_, spec, _, err := r.sortSpec()
	if err != nil {
		return "", nil, err
	}
	query, err := scopedQuery(r.Scope, r.Filter)
	if err != nil {
		return "", nil, err
	}
	return "/" + c.alias + "/_search", compositeBody(g.esField, query, spec, nil), nil
}

// compositeBody is one page of the composite aggregation over every value
// of field, computing spec in each bucket.
func compositeBody(field string, query Query, spec metaSpec, after json.RawMessage) Query {
	comp := Query{"size": compositePageSize(spec), "sources": []any{Query{"v": Query{"terms": Query{"field": field}}}}}
	if after != nil {
		comp["after"] = after
	}
	agg := Query{"composite": comp}
	if len(spec) > 0 {
		agg["aggs"] = spec.aggs()
	}
	return Query{"size": 0, "track_total_hits": false, "query": query, "aggs": Query{"g": agg}}
}

// compositePageSize is smaller when every bucket computes sort keys.
func compositePageSize(spec metaSpec) int {
	if len(spec) > 0 {
		return 500
	}
	return 2000
}

type compositeResponse struct {
	Aggregations struct {
		G struct {
			AfterKey json.RawMessage   `json:"after_key"`
			Buckets  []json.RawMessage `json:"buckets"`
		} `json:"g"`
	} `json:"aggregations"`
}

// collectGroups pages a composite aggregation over every value of field,
// computing the sort spec in each bucket.
func (c *Client) collectGroups(ctx context.Context, field string, query Query, spec metaSpec) ([]bucket, error) {
	var all []bucket
	var after json.RawMessage
	pageSize := compositePageSize(spec)
	for {
		body := compositeBody(field, query, spec, after)
		var res compositeResponse
		if err := c.do(ctx, http.MethodPost, "/"+c.alias+"/_search", body, &res); err != nil {
			return nil, err
		}
		for _, raw := range res.Aggregations.G.Buckets {
			b, err := decodeBucket(raw, true)
			if err != nil {
				return nil, err
			}
			if err := b.readMeta(spec); err != nil {
				return nil, err
			}
			b.subs = nil
			all = append(all, b)
		}
		if len(all) > c.MaxGroupValues {
			return nil, fmt.Errorf("more than %d distinct values", c.MaxGroupValues)
		}
		if len(res.Aggregations.G.Buckets) < pageSize || len(res.Aggregations.G.AfterKey) == 0 {
			return all, nil
		}
		after = res.Aggregations.G.AfterKey
	}
}

// groupMeta computes the meta spec for the page's values only.
func (c *Client) groupMeta(ctx context.Context, field string, query Query, spec metaSpec, page []bucket) error {
	include := make([]string, len(page))
	for i, b := range page {
		include[i] = b.key
	}
	body := Query{"size": 0, "track_total_hits": false, "query": query, "aggs": Query{"g": Query{
		"terms": Query{"field": field, "include": include, "size": len(include)},
		"aggs":  spec.aggs(),
	}}}
	var res struct {
		Aggregations struct {
			G struct {
				Buckets []json.RawMessage `json:"buckets"`
			} `json:"g"`
		} `json:"aggregations"`
	}
	if err := c.do(ctx, http.MethodPost, "/"+c.alias+"/_search", body, &res); err != nil {
		return err
	}
	byKey := make(map[string]bucket, len(res.Aggregations.G.Buckets))
	for _, raw := range res.Aggregations.G.Buckets {
		b, err := decodeBucket(raw, false)
		if err != nil {
			return err
		}
		if err := b.readMeta(spec); err != nil {
			return err
		}
		byKey[b.key] = b
	}
	for i := range page {
		if b, ok := byKey[page[i].key]; ok {
			page[i].meta = b.meta
		}
		page[i].meta.Count = page[i].count
	}
	return nil
}

// FilterValuesRequest asks for distinct values of one filter field, for
// autocomplete.
type FilterValuesRequest struct {
	Scope Scope
	Field string // filter field name; tags and image_labels by their bare name
	// Q is a case-insensitive substring: over the values, or for object
	// fields over the keys (KeysOnly), over one key's values (Key), or
	// over keys and values.
	Q        string
	KeysOnly bool
	Key      string
	Limit    int // 10 when zero
	// After / Before: the Cursor of the last / first value of the
	// neighbouring page. At most one.
	After, Before string
}

// FilterValue is one distinct value; Key is set for object fields.
type FilterValue struct {
	Key    string
	Value  string
	Cursor string
}

// FilterValuesResult is one page of filter values, sorted by value (for
// object fields by key, then value).
type FilterValuesResult struct {
	Values              []FilterValue
	HasBefore, HasAfter bool
}

// FilterValues returns distinct values of a filter field in scope. It pages
// a composite aggregation, narrowed by a wildcard query on Q, and keeps the
// values that contain Q.
func (c *Client) FilterValues(ctx context.Context, r FilterValuesRequest) (*FilterValuesResult, error) {
	f, ok := defaultCatalogue.FilterByName(r.Field)
	if !ok {
		return nil, invalidf("unknown filter field %q", r.Field)
	}
	if f.kind == kindText {
		return nil, invalidf("filter field %q has no values", r.Field)
	}
	if f.kind != kindPair && (r.KeysOnly || r.Key != "") {
		return nil, invalidf("keys_only and key apply to object fields only")
	}
	if r.After != "" && r.Before != "" {
		return nil, invalidf("both after and before")
	}
	limit := r.Limit
	if limit <= 0 {
		limit = 10
	}
	fs, err := r.Scope.filters()
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(r.Q)
	pat := "*" + escapeWildcard(q) + "*"
	field := f.values
	// keep reports whether a composite key is a result, and whether the
	// scan has left the key's range (object fields with Key).
	var keep func(raw string) (ok, done bool)
	contains := func(s string) bool { return q == "" || strings.Contains(strings.ToLower(s), q) }
	switch {
	case f.kind == kindPair && r.KeysOnly:
		field = f.keys
		if q != "" {
			fs = append(fs, Query{"wildcard": Query{f.keys: Query{"value": pat, "case_insensitive": true}}})
		}
		keep = func(k string) (bool, bool) { return contains(k), false }
	case f.kind == kindPair && r.Key != "":
		fs = append(fs, term(f.keys, r.Key))
		if q != "" {
			fs = append(fs, Query{"wildcard": Query{f.lc: Query{"value": escapeWildcard(strings.ToLower(r.Key)) + pairSep + pat, "case_insensitive": true}}})
		}
		prefix := r.Key + pairSep
		keep = func(p string) (bool, bool) {
			if !strings.HasPrefix(p, prefix) {
				return false, (r.Before == "") == (p > prefix)
			}
			return contains(p[len(prefix):]), false
		}
	case f.kind == kindPair:
		if q != "" {
			fs = append(fs, Query{"wildcard": Query{f.lc: Query{"value": pat, "case_insensitive": true}}})
		}
		keep = func(p string) (bool, bool) {
			k, v := splitPair(p)
			return contains(k) || contains(v), false
		}
	default:
		if q != "" && f.kind == kindKeyword {
			fs = append(fs, Query{"wildcard": Query{f.lc: Query{"value": pat, "case_insensitive": true}}})
		}
		keep = func(v string) (bool, bool) { return contains(v), false }
	}
	render := func(key json.RawMessage) (string, error) {
		switch f.kind {
		case kindNumber, kindDate:
			n, err := strconv.ParseFloat(string(key), 64)
			if err != nil {
				return "", err
			}
			if f.kind == kindDate {
				return time.UnixMilli(int64(n)).UTC().Format(time.RFC3339Nano), nil
			}
			return strconv.FormatInt(int64(n), 10), nil
		}
		var s string
		err := json.Unmarshal(key, &s)
		return s, err
	}

	backward := r.Before != ""
	var after any
	switch {
	case r.After != "" || backward:
		v, err := decodeValueCursor(r.After + r.Before)
		if err != nil {
			return nil, err
		}
		after = Query{"v": v}
	case f.kind == kindPair && r.Key != "":
		// Start just below the key's first pair.
		after = Query{"v": r.Key + "\x1e"}
	}
	order := "asc"
	if backward {
		order = "desc"
	}
	query := Query{"bool": Query{"filter": fs}}
	var got []FilterValue
	const pageSize = 1000
scan:
	for range 1000 { // at most a million distinct values per request
		comp := Query{"size": pageSize, "sources": []any{Query{"v": Query{"terms": Query{"field": field, "order": order}}}}}
		if after != nil {
			comp["after"] = after
		}
		body := Query{"size": 0, "track_total_hits": false, "query": query, "aggs": Query{"g": Query{"composite": comp}}}
		var res compositeResponse
		if err := c.do(ctx, http.MethodPost, "/"+c.alias+"/_search", body, &res); err != nil {
			if isStatus(err, http.StatusBadRequest) && (r.After != "" || r.Before != "") {
				return nil, invalidf("filter values cursor does not belong to this field")
			}
			return nil, fmt.Errorf("reading values of %s in %s: %w", r.Field, c.alias, err)
		}
		for _, raw := range res.Aggregations.G.Buckets {
			var bk struct {
				Key struct {
					V json.RawMessage `json:"v"`
				} `json:"key"`
			}
			if err := json.Unmarshal(raw, &bk); err != nil {
				return nil, fmt.Errorf("reading values of %s: %w", r.Field, err)
			}
			s, err := render(bk.Key.V)
			if err != nil {
				return nil, fmt.Errorf("reading values of %s: %w", r.Field, err)
			}
			ok, done := keep(s)
			if done {
				break scan
			}
			if !ok {
				continue
			}
			fv := FilterValue{Value: s, Cursor: string(bytes.TrimSpace(bk.Key.V))}
			switch {
			case f.kind == kindPair && r.KeysOnly:
				fv = FilterValue{Key: s, Cursor: fv.Cursor}
			case f.kind == kindPair:
				fv.Key, fv.Value = splitPair(s)
			}
			got = append(got, fv)
			if len(got) > limit {
				break scan
			}
		}
		if len(res.Aggregations.G.Buckets) < pageSize || len(res.Aggregations.G.AfterKey) == 0 {
			break
		}
		after = res.Aggregations.G.AfterKey
	}
	more := len(got) > limit
	if more {
		got = got[:limit]
	}
	out := &FilterValuesResult{Values: got}
	if backward {
		slices.Reverse(out.Values)
		out.HasBefore, out.HasAfter = more, true
	} else {
		out.HasBefore, out.HasAfter = r.After != "", more
	}
	return out, nil
}

// decodeValueCursor reads a FilterValue.Cursor: one JSON string or number,
// re-encoded by the caller, never spliced into the request.
func decodeValueCursor(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, invalidf("filter values cursor is malformed")
	}
	switch v.(type) {
	case string, json.Number:
		return v, nil
	}
	return nil, invalidf("filter values cursor is malformed")
}
