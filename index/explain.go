package index

import "github.com/openinventory/assets/rsql"

// Explain shows what a filter becomes, for `assets rsql explain`:
// {"ast": ..., "elasticsearch": ...}.
func Explain(n rsql.Node) (map[string]any, error) {
	q, err := Translate(n)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ast": n, "elasticsearch": q}, nil
}

// Request is one request to Elasticsearch: the method, the path from the
// cluster's root, and the JSON body.
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   Query  `json:"body"`
}

// Read is a read the API makes: SearchRequest, GroupValuesRequest or
// FilterValuesRequest. No other type implements it.
type Read interface {
	request(alias string) (Request, error)
}

// Diagnose returns the first Elasticsearch request the read r sends,
// identical to what Search, GroupValues or FilterValues send, so a caller
// (the benchmark, a CLI) can show it or send it straight to Elasticsearch.
// It checks r as they do and talks to no server.
//
//   - SearchRequest: the one request of Search: POST /<alias>/_search (or
//     /_search with a PIT) whose body asks for Limit+1 hits, the extra one
//     telling whether another page follows.
//   - GroupValuesRequest: the first page of the composite aggregation
//     (named "g") that collects every value with what the sort needs.
//     Later pages repeat it with aggs.g.composite.after set to the previous
//     answer's aggregations.g.after_key, until a page is short or has no
//     after_key. The meta fields of the returned values take one more
//     request, not covered here.
//   - FilterValuesRequest: the first page of its composite aggregation,
//     paged the same way.
func (c *Client) Diagnose(r Read) (Request, error) {
	return r.request(c.alias)
}
