package index

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// ServiceRole is the role docs/elasticsearch-security.md defines: the least
// privileges the service needs on its prefix.
const ServiceRole = "assets_service"

// Privileges the service needs: cluster health (monitor), and on the alias
// and the indexes behind it, create/delete indexes and move the alias
// (manage), search (read) and bulk writes (write).
var (
	requiredClusterPrivileges = []string{"monitor"}
	requiredIndexPrivileges   = []string{"manage", "read", "write"}
)

// PrivilegeError names what the credentials lack.
type PrivilegeError struct {
	Missing []string // e.g. "cluster monitor", "manage on assets-*"
}

func (e *PrivilegeError) Error() string {
	return fmt.Sprintf("the Elasticsearch credentials lack %s: grant them the role %s "+
		"(docs/elasticsearch-security.md), or use an API key created with it",
		strings.Join(e.Missing, ", "), ServiceRole)
}

// CheckPrivileges asks Elasticsearch whether the client's credentials hold
// every privilege the service needs on its prefix (the alias and
// prefix-*), once at start-up, so a key without the role fails with the
// missing privilege named instead of a 403 on the first write. A cluster
// without security does not serve the endpoint (400 or 404): nothing to check.
func (c *Client) CheckPrivileges(ctx context.Context) error {
	names := []string{c.alias, c.alias + "-*"}
	body := map[string]any{
		"cluster": requiredClusterPrivileges,
		"index":   []map[string]any{{"names": names, "privileges": requiredIndexPrivileges}},
	}
	var res struct {
		HasAll  bool                       `json:"has_all_requested"`
		Cluster map[string]bool            `json:"cluster"`
		Index   map[string]map[string]bool `json:"index"`
	}
	err := c.do(ctx, http.MethodPost, "/_security/user/_has_privileges", body, &res)
	if isStatus(err, http.StatusBadRequest) || isStatus(err, http.StatusNotFound) {
		return nil
	}
	if isStatus(err, http.StatusUnauthorized) {
		return fmt.Errorf("checking Elasticsearch privileges: the credentials were refused "+
			"(check ASSETS_ELASTICSEARCH_API_KEY or ASSETS_ELASTICSEARCH_USERNAME/PASSWORD): %w", err)
	}
	if err != nil {
		return fmt.Errorf("checking Elasticsearch privileges: %w", err)
	}
	if res.HasAll {
		return nil
	}
	return &PrivilegeError{Missing: missingPrivileges(res.Cluster, res.Index)}
}

// missingPrivileges lists the false entries of a _has_privileges answer in
// a stable order.
func missingPrivileges(cluster map[string]bool, idx map[string]map[string]bool) []string {
	var out []string
	for _, p := range requiredClusterPrivileges {
		if !cluster[p] {
			out = append(out, "cluster privilege "+p)
		}
	}
	names := make([]string, 0, len(idx))
	for n := range idx {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, p := range requiredIndexPrivileges {
			if !idx[n][p] {
				out = append(out, fmt.Sprintf("index privilege %s on %s", p, n))
			}
		}
	}
	if len(out) == 0 {
		out = append(out, "a privilege Elasticsearch did not name")
	}
	return out
}
