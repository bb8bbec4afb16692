package index

import (
	"context"
	"fmt"
	"net/http"
)

// ensureAttrsMapping adds the attrs field to the indexes behind the alias
// when they were made before it existed: their strict mapping would refuse
// every document the worker projects now. Adding a field is allowed on a
// live index and a no-op when it is there. The documents already indexed
// keep lacking attrs until they change or an assets reindex rewrites them;
// reads decode those the old way (see Search).
func (c *Client) ensureAttrsMapping(ctx context.Context) error {
	body := Query{"properties": Query{"attrs": attrsField()}}
	if err := c.do(ctx, http.MethodPut, "/"+c.alias+"/_mapping", body, nil); err != nil {
		return fmt.Errorf("adding the attrs field to the mapping of %s: %w", c.alias, err)
	}
	return nil
}
