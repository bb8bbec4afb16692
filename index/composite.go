package index

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// composite is one composite aggregation, named "g", over every value of
// one field: the single pager behind GroupValues and FilterValues. Each
// page is one request; the next starts after the previous answer's
// after_key, and the scan ends at a short page or a missing after_key.
type composite struct {
	field string
	order string // "asc" or "desc"; empty leaves Elasticsearch's default (asc)
	query Query
	aggs  Query // sub-aggregations computed in each bucket; may be empty
	size  int   // buckets per page
	start any   // the after key of the first page; nil starts at the beginning
}

// body is the search body of the page that follows after (nil: the first
// page).
func (p *composite) body(after any) Query {
	terms := Query{"field": p.field}
	if p.order != "" {
		terms["order"] = p.order
	}
	comp := Query{"size": p.size, "sources": []any{Query{"v": Query{"terms": terms}}}}
	if after != nil {
		comp["after"] = after
	}
	agg := Query{"composite": comp}
	if len(p.aggs) > 0 {
		agg["aggs"] = p.aggs
	}
	return Query{"size": 0, "track_total_hits": false, "query": p.query, "aggs": Query{"g": agg}}
}

// first is the request of the first page.
func (p *composite) first(alias string) Request {
	return Request{Method: http.MethodPost, Path: searchPath(alias), Body: p.body(p.start)}
}

type compositeResponse struct {
	Shards struct {
		Total int `json:"total"`
	} `json:"_shards"`
	Aggregations struct {
		G struct {
			AfterKey json.RawMessage   `json:"after_key"`
			Buckets  []json.RawMessage `json:"buckets"`
		} `json:"g"`
	} `json:"aggregations"`
}

// errPagesLeft is each's answer when it read maxPages pages and the values
// go on: the caller decides whether a cut scan is an answer or an error.
var errPagesLeft = errors.New("composite aggregation has more pages than allowed")

// each pages p from p.start, calling fn with every bucket in order, until
// the values end, fn asks to stop, or maxPages pages (0: no bound) were
// read, which is errPagesLeft. Errors of Elasticsearch are returned as they
// are.
func (c *Client) each(ctx context.Context, p *composite, maxPages int, fn func(bucket json.RawMessage) (stop bool, err error)) error {
	after := p.start
	for page := 0; maxPages == 0 || page < maxPages; page++ {
		var res compositeResponse
		if err := c.do(ctx, http.MethodPost, searchPath(c.alias), p.body(after), &res); err != nil {
			return err
		}
		c.sawShards(res.Shards.Total)
		g := res.Aggregations.G
		for _, raw := range g.Buckets {
			if stop, err := fn(raw); stop || err != nil {
				return err
			}
		}
		if len(g.Buckets) < p.size || len(g.AfterKey) == 0 {
			return nil
		}
		after = g.AfterKey
	}
	return errPagesLeft
}
