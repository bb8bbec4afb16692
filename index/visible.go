package index

import (
	"context"
	"fmt"
	"net/http"
)

// Searchable reports whether a search of the alias sees every asset of
// versions at that version or a newer one: Elasticsearch has it and a
// refresh happened since. A search (not a get, which reads in real time)
// is what decides, because that is what a client's next list does.
func (c *Client) Searchable(ctx context.Context, versions map[string]int64) (bool, error) {
	ids := make([]string, 0, len(versions))
	for id := range versions {
		ids = append(ids, id)
	}
	body := Query{
		"query": Query{"ids": Query{"values": ids}}, "size": len(ids),
		"version": true, "_source": false, "track_total_hits": false,
	}
	var res struct {
		Hits struct {
			Hits []struct {
				ID      string `json:"_id"`
				Version int64  `json:"_version"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := c.do(ctx, http.MethodPost, searchPath(c.alias), body, &res); err != nil {
		return false, fmt.Errorf("searching %s for written versions: %w", c.alias, err)
	}
	seen := 0
	for _, h := range res.Hits.Hits {
		if want, ok := versions[h.ID]; ok && h.Version >= want {
			seen++
		}
	}
	return seen == len(versions), nil
}
