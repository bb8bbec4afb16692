package index

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// GroupValuesTermsDepthMax is the default Client.GroupTermsDepth: it bounds how deep into the order of a group values
// request one terms aggregation serves pages: a page that needs more
// buckets than this (cursor position + limit, and a little more) is cut
// from the composite path instead, which collects and sorts every value.
// Elasticsearch builds every bucket either way; this bounds the buckets it
// sorts out, sends and the client decodes for one page.
const GroupValuesTermsDepthMax = 1000

// termsPlan is the terms aggregation that sorts and cuts a group values
// request in Elasticsearch: ordered by the request's sort keys, then by
// the value ascending, which is compareGroup's order. It exists only when
// Elasticsearch can order by every key exactly as compareGroup does:
// count, issue sums, a max descending or a min ascending (an empty bucket
// is -inf or +inf there, last as in compareGroup), and the value itself
// for fields that are not pairs (Elasticsearch compares the raw pair,
// compareGroup the displayed key:value).
type termsPlan struct {
	order []any
	aggs  Query // the sort's sub-aggregations, and metrics to order by
}

// termsPlan is p's terms aggregation, or false when its sort cannot be
// ordered in Elasticsearch exactly as in Go.
func (p *groupPlan) termsPlan() (termsPlan, bool) {
	t := termsPlan{aggs: p.sortSpec.aggs()}
	for _, s := range p.sort {
		dir := "asc"
		if s.Desc {
			dir = "desc"
		}
		mode := p.sortSpec[s.Name]
		switch s.Name {
		case GroupSortValue:
			if p.group.pair {
				return termsPlan{}, false
			}
			// Values are distinct: nothing after this key matters.
			t.order = append(t.order, Query{"_key": dir})
			return t, true
		case MetaCount:
			t.order = append(t.order, Query{"_count": dir})
		case MetaIssues:
			if mode != ModeSum {
				return termsPlan{}, false
			}
			for _, sev := range severities {
				t.order = append(t.order, Query{"issues_" + sev: dir})
			}
		case MetaRiskScore, MetaLastSeenAt, MetaUpdatedAt, MetaBuiltAt:
			if !(mode == ModeMax && s.Desc || mode == ModeMin && !s.Desc) {
				return termsPlan{}, false
			}
			name := MetaRiskScore + "_" + mode // the sort's own metric
			if s.Name != MetaRiskScore {
				// Dates are read from the extreme asset (to the
				// microsecond); a metric orders by what the sort tuple
				// holds, milliseconds.
				name = "order_" + s.Name
				t.aggs[name] = Query{mode: Query{"field": metaESField[s.Name]}}
			}
			t.order = append(t.order, Query{name: dir})
		default:
			return termsPlan{}, false
		}
	}
	t.order = append(t.order, Query{"_key": "asc"})
	return t, true
}

// termsSize is how many buckets of the whole order the page after or
// before a cursor needs, or false when the cursor does not say where it
// lies or the page is deeper than bound: the terms depth, or the values a
// request may collect (so a request over that bound still meets its error
// on the composite path). Pairs get a
// page more: their ties may be cut in another order (see termsValid).
func (p *groupPlan) termsSize(after, before string, bound int) (int, bool, error) {
	need := p.limit + 1 // the page and one to know there is another
	for _, cur := range []string{after, before} {
		if cur == "" {
			continue
		}
		_, _, pos, err := decodeGroupCursor(cur, p.nkeys)
		if err != nil || pos < 0 {
			return 0, false, err
		}
		need = pos + 1
		if cur == after {
			need += p.limit + 1
		}
	}
	if p.group.pair {
		need += p.limit
	}
	return need, need <= bound, nil
}

// termsValid is how many of the first buckets of a terms answer of size
// buckets are the first of the whole order. A value that is no pair is
// compared as Elasticsearch compares it, so all are; pairs tied on their
// sort keys with the last bucket may have been cut in another order than
// compareGroup's, so that tie is left out.
func (p *groupPlan) termsValid(list []bucket, size int) int {
	n := len(list)
	if n < size || !p.group.pair {
		return n
	}
	last := list[n-1].sortKeys
	for n > 0 && compareGroup(p.sort, list[n-1].sortKeys, "", last, "") == 0 {
		n--
	}
	return n
}

type termsResponse struct {
	Shards struct {
		Total int `json:"total"`
	} `json:"_shards"`
	Aggregations struct {
		G struct {
			Buckets []json.RawMessage `json:"buckets"`
		} `json:"g"`
	} `json:"aggregations"`
}

// groupValuesTerms answers p from one terms aggregation when the index has
// one primary shard (where a terms aggregation cut to size is exact; see
// docs/sizing.md) and the page lies within what it returns; ok is false
// when the composite path has to answer instead.
func (c *Client) groupValuesTerms(ctx context.Context, p *groupPlan, after, before string) (res *GroupValuesResult, ok bool, err error) {
	t, ok := p.termsPlan()
	if !ok {
		return nil, false, nil
	}
	depth := GroupValuesTermsDepthMax
	if c.GroupTermsDepth > 0 {
		depth = c.GroupTermsDepth
	}
	size, ok, err := p.termsSize(after, before, min(depth, c.collectBound(p)))
	if err != nil || !ok {
		return nil, false, err
	}
	if one, err := c.onePrimaryShard(ctx); err != nil || !one {
		return nil, false, nil //nolint:nilerr // the composite path answers, and reports what is wrong
	}
	list, ok, err := c.termsBuckets(ctx, p, t, size)
	if err != nil || !ok {
		return nil, false, err
	}
	p.sortBuckets(list)
	valid := p.termsValid(list, size)
	start, end, err := p.window(list[:valid], after, before)
	if err != nil {
		return nil, false, err
	}
	complete := len(list) < size
	if !complete && end >= valid {
		return nil, false, nil // the page reaches past what is known
	}
	res, err = c.page(ctx, p, list, start, end, end < len(list))
	return res, err == nil, err
}

// termsBuckets asks for the first size buckets of p's order; ok is false
// when the answer came from more than one shard.
func (c *Client) termsBuckets(ctx context.Context, p *groupPlan, t termsPlan, size int) ([]bucket, bool, error) {
	agg := Query{"terms": Query{"field": p.group.esField, "size": size, "shard_size": size, "order": t.order}}
	if len(t.aggs) > 0 {
		agg["aggs"] = t.aggs
	}
	body := Query{"size": 0, "track_total_hits": false, "query": p.collect.query, "aggs": Query{"g": agg}}
	var res termsResponse
	if err := c.do(ctx, http.MethodPost, searchPath(c.alias), body, &res); err != nil {
		return nil, false, fmt.Errorf("grouping %s by %s: %w", c.alias, p.group.Name, err)
	}
	if c.sawShards(res.Shards.Total) != 1 {
		return nil, false, nil
	}
	list := make([]bucket, 0, len(res.Aggregations.G.Buckets))
	for _, raw := range res.Aggregations.G.Buckets {
		b, err := decodeBucket(raw, false)
		if err != nil {
			return nil, false, fmt.Errorf("grouping %s by %s: %w", c.alias, p.group.Name, err)
		}
		if err := b.readMeta(p.sortSpec); err != nil {
			return nil, false, fmt.Errorf("grouping %s by %s: %w", c.alias, p.group.Name, err)
		}
		b.subs = nil
		list = append(list, b)
	}
	return list, true, nil
}
