package index

import (
	"context"
	"fmt"

	json "github.com/goccy/go-json"
)

// attrsResponse is a _search answer read with an AttributeSelection: the
// attributes stay raw bytes, never decoded.
type attrsResponse = hitsResponse[struct {
	ID     string `json:"_id"`
	Source struct {
		Type  string          `json:"type"`
		Attrs json.RawMessage `json:"attrs"`
	} `json:"_source"`
	Sort []any `json:"sort"`
}]

// searchAttributes is Search with r.Attributes: one page of hits carrying
// their stored attributes. A page with a document indexed before attrs
// existed is read again whole and decoded (legacySearchAttributes), so an
// index not yet rewritten by assets reindex still answers, only slower.
func (c *Client) searchAttributes(ctx context.Context, r SearchRequest) (*SearchResult, error) {
	var res attrsResponse
	out, err := sendSearch(ctx, c, r, &res)
	if err != nil {
		return nil, err
	}
	hits := pageHits(r, res.Hits.Hits, out)
	out.Hits = make([]AttributesHit, len(hits))
	out.Sort = make([][]any, len(hits))
	for i, h := range hits {
		if len(h.Source.Attrs) == 0 {
			return c.legacySearchAttributes(ctx, r)
		}
		attrs, err := r.Attributes.shape(h.Source.Attrs)
		if err != nil {
			return nil, fmt.Errorf("searching %s: document %s: %w", c.alias, h.ID, err)
		}
		out.Hits[i] = AttributesHit{ID: h.ID, Type: h.Source.Type, Attributes: attrs}
		out.Sort[i] = h.Sort
	}
	if len(hits) > 0 {
		out.First, out.Last = out.Sort[0], out.Sort[len(hits)-1]
	}
	return out, nil
}

// legacySearchAttributes reads the page with whole documents and computes
// their attributes, as every read did before attrs existed.
func (c *Client) legacySearchAttributes(ctx context.Context, r SearchRequest) (*SearchResult, error) {
	sel := r.Attributes
	r.Attributes = nil
	out, err := c.Search(ctx, r)
	if err != nil {
		return nil, err
	}
	if out.Hits, err = attributesHits(out.Assets, sel); err != nil {
		return nil, fmt.Errorf("searching %s: %w", c.alias, err)
	}
	out.Assets = nil
	return out, nil
}
