package index

import (
	"context"
	"fmt"
	"net/http"
)

// MappingVersion numbers the form of the index (mapping and projection).
// It is kept in each index's _meta, so a tool holding an index built
// earlier (the benchmark reuses its data) can tell it needs a reindex.
// Bump it with every change to mapping.go or to what Project writes.
//
// 1 (or none): before versions were recorded.
// 2: attrs (the API attributes, spliced into reads), q_grams and q_overflow
// (the substring index of q).
const MappingVersion = 2

// mappingMeta is the _meta of the mapping.
func mappingMeta() map[string]any {
	return map[string]any{"mapping_version": MappingVersion}
}

// MappingVersionOf reads the mapping version of an index (or of the one
// behind an alias); 0 for an index made before versions were recorded.
func (c *Client) MappingVersionOf(ctx context.Context, name string) (int, error) {
	var out map[string]struct {
		Mappings struct {
			Meta struct {
				Version int `json:"mapping_version"`
			} `json:"_meta"`
		} `json:"mappings"`
	}
	if err := c.do(ctx, http.MethodGet, "/"+name+"/_mapping", nil, &out); err != nil {
		return 0, fmt.Errorf("reading the mapping of %s: %w", name, err)
	}
	if len(out) != 1 {
		return 0, fmt.Errorf("reading the mapping of %s: %d indexes answered, want 1", name, len(out))
	}
	for _, m := range out {
		return m.Mappings.Meta.Version, nil
	}
	return 0, nil
}
