package index

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/openinventory/assets/rsql"
)

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
	Limit int // DefaultLimit when zero
	// After / Before: the Cursor of the last / first value of the
	// neighbouring page. At most one.
	After, Before string
	// MaxBuckets bounds the distinct values collected (and so the
	// aggregation pages read: one per 500 or 2000 values); more is a
	// request error that asks for a narrower filter.
	// GroupValuesMaxBucketsDefault when zero.
	MaxBuckets int
	// Disjunctive leaves out of Filter the top-level AND clauses that
	// constrain only this group's field (see DisjunctiveFilter).
	Disjunctive bool
}

// GroupValuesMaxBucketsDefault is the default GroupValuesRequest.MaxBuckets:
// at most 10 to 40 Elasticsearch requests and a few MiB per API request.
const GroupValuesMaxBucketsDefault = 20_000

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

// groupPlan is a checked GroupValuesRequest: what to collect and how to
// sort and show it.
type groupPlan struct {
	group    GroupField
	spec     metaSpec // meta fields of the page
	fields   []string // the same, in output order
	sort     []SortField
	sortSpec metaSpec  // meta fields the sort needs in every bucket
	collect  composite // every value, with sortSpec
	nkeys    int       // length of a sort tuple
	limit    int
	wantMeta bool
	// maxBuckets bounds collect (GroupValuesRequest.MaxBuckets).
	maxBuckets int
}

func (r *GroupValuesRequest) plan() (*groupPlan, error) {
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
	filter := r.Filter
	if r.Disjunctive {
		filter = DisjunctiveFilter(g.Name, filter)
	}
	query, err := scopedQuery(r.Scope, filter)
	if err != nil {
		return nil, err
	}
	p := &groupPlan{group: g, spec: spec, fields: fields, sort: sort, sortSpec: sortSpec, nkeys: nkeys,
		limit: limitOr(r.Limit), wantMeta: len(fields) > 0, maxBuckets: cmp.Or(max(r.MaxBuckets, 0), GroupValuesMaxBucketsDefault)}
	p.collect = composite{field: g.esField, query: query, size: compositePageSize(sortSpec)}
	if len(sortSpec) > 0 {
		p.collect.aggs = sortSpec.aggs()
	}
	return p, nil
}

// request is the first request of the composite path of r (see Diagnose):
// the request that collects every value, the cost a one-shard index saves.
func (r GroupValuesRequest) request(alias string) (Request, error) {
	p, err := r.plan()
	if err != nil {
		return Request{}, err
	}
	return p.collect.first(alias), nil
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
		if s.Name != GroupSortValue && s.Name != MetaCount {
			spec[s.Name] = r.mode(s.Name)
		}
		nkeys += groupSortWidth(s.Name)
	}
	return sort, spec, nkeys, nil
}

// compositePageSize is smaller when every bucket computes sort keys.
func compositePageSize(spec metaSpec) int {
	if len(spec) > 0 {
		return 500
	}
	return 2000
}

// display is how a value is shown: key:value for pairs.
func (p *groupPlan) display(raw string) string {
	if p.group.pair {
		k, v := splitPair(raw)
		return k + ":" + v
	}
	return raw
}

// GroupValues returns one page of the values of a group field in scope,
// with exact counts and the requested meta fields. On a one-shard index, a
// page near the top of a count- or meta-sorted request is cut by
// Elasticsearch from one terms aggregation (see termsPlan); otherwise it
// collects every value (composite aggregation, with only what the sort
// needs) and sorts in Go. Either way the page's other meta fields are
// computed for its values alone, and both give the same pages and cursors.
func (c *Client) GroupValues(ctx context.Context, r GroupValuesRequest) (*GroupValuesResult, error) {
	p, err := r.plan()
	if err != nil {
		return nil, err
	}
	res, ok, err := c.groupValuesTerms(ctx, p, r.After, r.Before)
	if err != nil || ok {
		return res, err
	}
	return c.groupValuesComposite(ctx, p, r.After, r.Before)
}

// groupValuesComposite collects every value with the composite
// aggregation, sorts them in Go and cuts the page.
func (c *Client) groupValuesComposite(ctx context.Context, p *groupPlan, after, before string) (*GroupValuesResult, error) {
	all, err := c.collectGroups(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("grouping %s by %s: %w", c.alias, p.group.Name, err)
	}
	p.sortBuckets(all)
	start, end, err := p.window(all, after, before)
	if err != nil {
		return nil, err
	}
	return c.page(ctx, p, all, start, end, end < len(all))
}

// sortBuckets computes the sort tuples and sorts the buckets by them.
func (p *groupPlan) sortBuckets(all []bucket) {
	for i := range all {
		all[i].computeSortKeys(p.sort)
	}
	slices.SortFunc(all, func(a, b bucket) int {
		return compareGroup(p.sort, a.sortKeys, p.display(a.key), b.sortKeys, p.display(b.key))
	})
}

// page is the result of all[start:end], sorted: all[i] is the i-th value
// of the whole order, which its cursor records.
func (c *Client) page(ctx context.Context, p *groupPlan, all []bucket, start, end int, hasAfter bool) (*GroupValuesResult, error) {
	out := &GroupValuesResult{HasBefore: start > 0, HasAfter: hasAfter}
	page := all[start:end]
	if extra := p.pageMeta(); len(extra) > 0 && len(page) > 0 {
		if err := c.groupMeta(ctx, p.group.esField, p.collect.query, extra, page); err != nil {
			return nil, fmt.Errorf("grouping %s by %s: %w", c.alias, p.group.Name, err)
		}
	}
	out.Values = make([]GroupValue, len(page))
	for i := range page {
		b := &page[i]
		gv := GroupValue{Value: p.display(b.key), Cursor: encodeGroupCursor(b.sortKeys, p.display(b.key), start+i)}
		if p.wantMeta {
			m := b.meta
			m.Count = b.count
			m.Fields = p.fields
			gv.Meta = &m
		}
		out.Values[i] = gv
	}
	return out, nil
}

// pageMeta is the meta fields of the page the collection did not compute
// already: count comes with every bucket and the sort's fields with their
// modes were read from each bucket, so asking for them again would cost a
// second aggregation over the same assets for nothing.
func (p *groupPlan) pageMeta() metaSpec {
	extra := metaSpec{}
	for f, mode := range p.spec {
		if f == MetaCount {
			continue
		}
		if m, ok := p.sortSpec[f]; ok && m == mode {
			continue
		}
		extra[f] = mode
	}
	return extra
}

// window is the page of the sorted values: the first limit, those after
// the cursor after, or those before the cursor before.
func (p *groupPlan) window(all []bucket, after, before string) (start, end int, err error) {
	// side is where a value lies from the cursor: -1 before, 1 after;
	// the cursor's own value counts as before (strict) or after.
	side := func(cursor string, strict bool) (int, error) {
		keys, v, _, err := decodeGroupCursor(cursor, p.nkeys)
		if err != nil {
			return 0, err
		}
		i, _ := slices.BinarySearchFunc(all, 0, func(b bucket, _ int) int {
			c := compareGroup(p.sort, b.sortKeys, p.display(b.key), keys, v)
			if c < 0 || c == 0 && !strict {
				return -1
			}
			return 1
		})
		return i, nil
	}
	switch {
	case after != "":
		start, err = side(after, false)
		return start, min(start+p.limit, len(all)), err
	case before != "":
		end, err = side(before, true)
		return max(end-p.limit, 0), end, err
	}
	return 0, min(p.limit, len(all)), nil
}

// collectGroups pages the composite aggregation over every value,
// computing the sort's meta fields in each bucket.
func (c *Client) collectGroups(ctx context.Context, p *groupPlan) ([]bucket, error) {
	var all []bucket
	limit := c.collectBound(p)
	err := c.each(ctx, &p.collect, 0, func(raw json.RawMessage) (bool, error) {
		b, err := decodeBucket(raw, true)
		if err != nil {
			return true, err
		}
		if err := b.readMeta(p.sortSpec); err != nil {
			return true, err
		}
		b.subs = nil
		all = append(all, b)
		if len(all) > limit {
			return true, tooManyGroups(p.group.Name, limit)
		}
		return false, nil
	})
	return all, err
}

// collectBound is how many values p may collect: its MaxBuckets, within
// the client's MaxGroupValues.
func (c *Client) collectBound(p *groupPlan) int {
	if c.MaxGroupValues > 0 {
		return min(p.maxBuckets, c.MaxGroupValues)
	}
	return p.maxBuckets
}

// tooManyGroups is the request error of a group field with more than limit
// values in the request's scope and filter: every value is collected to sort
// them, so the client has to narrow the assets.
func tooManyGroups(field string, limit int) error {
	return invalidf("%s has more than %d distinct values in this scope and filter, more than one request may "+
		"collect to sort them; add a filter that narrows the assets (for example on registry, class or tags), "+
		"or use a narrower scope (a group or an org)", field, limit)
}

// computeSortKeys computes the bucket's sort tuple for the request's sort.
func (b *bucket) computeSortKeys(sort []SortField) {
	keys := b.sortKeys[:0]
	nan := math.NaN()
	for _, s := range sort {
		switch s.Name {
		case GroupSortValue:
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
			for _, n := range b.meta.Issues.bySeverityOrNil() {
				if n != nil {
					keys = append(keys, float64(*n))
				} else {
					keys = append(keys, nan)
				}
			}
		}
	}
	b.sortKeys = keys
}

// bySeverityOrNil is bySeverity, or as many nils when there are no totals.
func (t *IssueTotals) bySeverityOrNil() []*int64 {
	if t == nil {
		return make([]*int64, len(severities))
	}
	return t.bySeverity()
}

// groupCursor is a group value's position: its sort tuple and value, and
// its place in the whole order when it was made (Pos, a hint only: a page
// is always found by comparing with Keys and Value, and a cursor without
// it is still valid).
type groupCursor struct {
	Keys  []*float64 `json:"k"`
	Value string     `json:"v"`
	Pos   *int       `json:"o,omitempty"`
}

func encodeGroupCursor(keys []float64, value string, pos int) string {
	c := groupCursor{Keys: make([]*float64, len(keys)), Value: value, Pos: &pos}
	for i, k := range keys {
		if !math.IsNaN(k) {
			c.Keys[i] = &keys[i]
		}
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// decodeGroupCursor reads a cursor of a sort with n keys; pos is -1 when
// the cursor does not record its place.
func decodeGroupCursor(s string, n int) (keys []float64, value string, pos int, err error) {
	var c groupCursor
	if err := json.Unmarshal([]byte(s), &c); err != nil || len(c.Keys) != n || c.Pos != nil && *c.Pos < 0 {
		return nil, "", 0, invalidf("group values cursor does not belong to this sort")
	}
	keys = make([]float64, n)
	for i, k := range c.Keys {
		keys[i] = math.NaN()
		if k != nil {
			keys[i] = *k
		}
	}
	pos = -1
	if c.Pos != nil {
		pos = *c.Pos
	}
	return keys, c.Value, pos, nil
}

// compareGroup orders by the sort keys (missing last in both directions),
// then by value.
func compareGroup(sort []SortField, ak []float64, av string, bk []float64, bv string) int {
	i := 0
	for _, s := range sort {
		if s.Name == GroupSortValue {
			if c := strings.Compare(av, bv); c != 0 {
				return direct(c, s.Desc)
			}
			continue
		}
		for range groupSortWidth(s.Name) {
			x, y := ak[i], bk[i]
			i++
			switch xn, yn := math.IsNaN(x), math.IsNaN(y); {
			case xn && yn:
				continue
			case xn:
				return 1
			case yn:
				return -1
			}
			if c := cmp.Compare(x, y); c != 0 {
				return direct(c, s.Desc)
			}
		}
	}
	return strings.Compare(av, bv)
}

// direct is c in the direction of a sort key.
func direct(c int, desc bool) int {
	if desc {
		return -c
	}
	return c
}
