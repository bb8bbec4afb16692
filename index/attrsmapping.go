package index

import (
	"context"
	"fmt"
	"net/http"
)

// ensureCurrentFields adds the fields of MappingVersion 2 (attrs, q_grams,
// q_overflow) to the indexes behind the alias when they were made before
// them: their strict mapping would refuse every document the worker
// projects now. Adding a field is allowed on a live index and a no-op when
// it is there. The documents already indexed lack them until they change or
// an assets reindex rewrites them: reads decode those the old way (see
// Search), but q== does not find them; Outdated says so at start-up.
func (c *Client) ensureCurrentFields(ctx context.Context) error {
	body := Query{"properties": Query{
		"attrs":        attrsField(),
		qGramsField:    qGramsMapping(),
		qOverflowField: keyword(),
	}}
	if err := c.do(ctx, http.MethodPut, "/"+c.alias+"/_mapping", body, nil); err != nil {
		return fmt.Errorf("adding the fields of mapping version %d to %s: %w", MappingVersion, c.alias, err)
	}
	return nil
}

// Outdated reports whether the index behind the alias was made by an older
// version (have: its mapping version, 0 before versions were recorded):
// its documents were projected by an older version, so q== misses them
// and verify reports them, until assets reindex rewrites them.
func (c *Client) Outdated(ctx context.Context) (have int, outdated bool, err error) {
	have, err = c.MappingVersionOf(ctx, c.alias)
	if err != nil {
		return 0, false, err
	}
	return have, have < MappingVersion, nil
}
