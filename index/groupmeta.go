package index

import (
	"context"
	"fmt"
	json "github.com/goccy/go-json"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// IssueTotals are aggregated issue counts.
type IssueTotals struct {
	Critical int64 `json:"critical"`
	High     int64 `json:"high"`
	Medium   int64 `json:"medium"`
	Low      int64 `json:"low"`
	Total    int64 `json:"total"`
}

// bySeverity are the counts in the order of severities.
func (t *IssueTotals) bySeverity() []*int64 { return []*int64{&t.Critical, &t.High, &t.Medium, &t.Low} }

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
	Labels     []string // sorted, at most MaxMetaTerms
	Tags       []Tag    // sorted by key then value, at most MaxMetaTerms
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

// metaSpec is the requested meta fields with their modes, and the fields
// in output order.
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
	return DefaultMode
}

// metaESField is the document field of a date/number meta field.
var metaESField = map[string]string{
	MetaLastSeenAt: "last_seen_at", MetaUpdatedAt: "updated_at", MetaBuiltAt: "built_at", MetaRiskScore: "risk_score",
}

// aggs builds the sub-aggregations that compute spec in each bucket.
func (spec metaSpec) aggs() Query {
	a := Query{}
	var first, last []string
	for f, mode := range spec {
		switch mode {
		case ModeFirst:
			first = append(first, f)
			continue
		case ModeLast:
			last = append(last, f)
			continue
		}
		switch f {
		case MetaLastSeenAt, MetaUpdatedAt, MetaBuiltAt:
			if mode == ModeMax || mode == ModeMin {
				// Metric aggregations of date_nanos fields answer in
				// milliseconds; the one asset holding the extreme keeps the
				// instant to the microsecond.
				a[f+"_"+mode] = extremeHit(metaESField[f], mode)
				continue
			}
			a[f+"_"+mode] = Query{mode: Query{"field": metaESField[f]}}
		case MetaRiskScore:
			a[f+"_"+mode] = Query{mode: Query{"field": metaESField[f]}}
			if mode == ModeSum {
				a[f+"_count"] = Query{"value_count": Query{"field": metaESField[f]}}
			}
		case MetaIssues:
			for _, s := range severities {
				a["issues_"+s] = Query{"sum": Query{"field": "issues." + s}}
			}
		case MetaLabels:
			a["labels_all"] = Query{"terms": Query{"field": "labels", "size": MaxMetaTerms, "order": Query{"_key": "asc"}}}
		case MetaTags:
			a["tags_all"] = Query{"terms": Query{"field": "tags", "size": MaxMetaTerms, "order": Query{"_key": "asc"}}}
		}
	}
	if len(first) > 0 {
		a[ModeFirst] = topHit(first, "asc")
	}
	if len(last) > 0 {
		a[ModeLast] = topHit(last, "desc")
	}
	return a
}

// topHit is the one asset with the earliest ("asc") or latest ("desc")
// updated_at, ties by id, with the document fields of meta fields.
func topHit(fields []string, order string) Query {
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

// extremeHit is the one asset with the latest (max) or earliest (min)
// value of a date field, ties by id; assets without the field sort last.
func extremeHit(field, mode string) Query {
	order := "asc"
	if mode == ModeMax {
		order = "desc"
	}
	return Query{"top_hits": Query{
		"size": 1, "_source": Query{"includes": []string{field}},
		"sort": []any{Query{field: Query{"order": order, "missing": "_last"}}, Query{"id": Query{"order": "asc"}}},
	}}
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

// hit is the asset of a top_hits sub-aggregation; nil when there is none.
func (b *bucket) hit(name string) (*Document, error) {
	var th topHitsAgg
	if err := json.Unmarshal(b.subs[name], &th); err != nil {
		return nil, err
	}
	if len(th.Hits.Hits) == 0 {
		return nil, nil
	}
	return &th.Hits.Hits[0].Source, nil
}

// metric is the value of a metric sub-aggregation; nil when there is none.
func (b *bucket) metric(name string) (*float64, error) {
	var m metricAgg
	err := json.Unmarshal(b.subs[name], &m)
	return m.Value, err
}

// readMeta fills b.meta from the sub-aggregations of spec.
func (b *bucket) readMeta(spec metaSpec) error {
	b.meta.Count = b.count
	for f, mode := range spec {
		var err error
		switch {
		case f == MetaCount:
		case mode == ModeFirst || mode == ModeLast:
			err = b.readHit(f, mode)
		case f == MetaLastSeenAt || f == MetaUpdatedAt || f == MetaBuiltAt:
			err = b.readTime(f, mode)
		case f == MetaRiskScore:
			err = b.readRiskScore(mode)
		case f == MetaIssues:
			err = b.readIssues()
		case f == MetaLabels || f == MetaTags:
			err = b.readTerms(f)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readHit takes f from the asset of a first/last mode.
func (b *bucket) readHit(f, mode string) error {
	d, err := b.hit(mode)
	if err != nil {
		return err
	}
	if d != nil {
		b.meta.setFromDoc(f, d)
	} else if f == MetaLabels || f == MetaTags {
		b.meta.setFromDoc(f, &Document{})
	}
	return nil
}

func (b *bucket) readTime(f, mode string) error {
	if mode == ModeMax || mode == ModeMin {
		d, err := b.hit(f + "_" + mode)
		if err != nil || d == nil {
			return err
		}
		b.meta.setFromDoc(f, d)
		return nil
	}
	v, err := b.metric(f + "_" + mode)
	if err != nil {
		return err
	}
	if v != nil {
		t := time.UnixMilli(int64(*v)).UTC()
		*b.meta.timeField(f) = &t
	}
	return nil
}

// readRiskScore reads max, min or sum; a sum over no scores is null.
func (b *bucket) readRiskScore(mode string) error {
	v, err := b.metric(MetaRiskScore + "_" + mode)
	if err != nil {
		return err
	}
	if mode == ModeSum {
		n, err := b.metric(MetaRiskScore + "_count")
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
	return nil
}

// readIssues reads the sums by severity.
func (b *bucket) readIssues() error {
	var t IssueTotals
	counts := t.bySeverity()
	for i, s := range severities {
		v, err := b.metric("issues_" + s)
		if err != nil {
			return err
		}
		if v != nil {
			*counts[i] = int64(*v)
		}
	}
	t.Total = t.Critical + t.High + t.Medium + t.Low
	b.meta.Issues = &t
	return nil
}

// readTerms reads the distinct labels or tags.
func (b *bucket) readTerms(f string) error {
	var ta termsAgg
	if err := json.Unmarshal(b.subs[f+"_all"], &ta); err != nil {
		return err
	}
	if f == MetaLabels {
		b.meta.Labels = make([]string, len(ta.Buckets))
		for i, x := range ta.Buckets {
			b.meta.Labels[i] = x.Key
		}
		return nil
	}
	b.meta.Tags = make([]Tag, len(ta.Buckets))
	for i, x := range ta.Buckets {
		k, v := splitPair(x.Key)
		b.meta.Tags[i] = Tag{Key: k, Value: v}
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
		if len(m.Labels) > MaxMetaTerms {
			m.Labels = m.Labels[:MaxMetaTerms]
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
	if err := c.do(ctx, http.MethodPost, searchPath(c.alias), body, &res); err != nil {
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
			page[i].meta.take(&b.meta, spec)
		}
		page[i].meta.Count = page[i].count
	}
	return nil
}

// take copies the fields of spec from src, keeping the others (those the
// collection already read).
func (m *GroupMeta) take(src *GroupMeta, spec metaSpec) {
	for f := range spec {
		switch f {
		case MetaLastSeenAt, MetaUpdatedAt, MetaBuiltAt:
			*m.timeField(f) = *src.timeField(f)
		case MetaRiskScore:
			m.RiskScore = src.RiskScore
		case MetaIssues:
			m.Issues = src.Issues
		case MetaLabels:
			m.Labels = src.Labels
		case MetaTags:
			m.Tags = src.Tags
		}
	}
}
