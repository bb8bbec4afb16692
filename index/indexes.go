package index

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// indexTimeLayout is the timestamp in the names of the concrete indexes a
// reindex creates; it sorts by creation time.
const indexTimeLayout = "20060102t150405.000000"

// initialSuffix names the first concrete index, made by EnsureIndex.
const initialSuffix = "initial"

// NewIndexName returns a fresh concrete index name under the prefix:
// prefix-<UTC timestamp to the microsecond>, which sorts by creation time.
func (c *Client) NewIndexName() string {
	return c.alias + "-" + time.Now().UTC().Format(indexTimeLayout)
}

// Owns reports whether name is one this deployment makes: prefix-initial or
// prefix-<timestamp>. A neighbour sharing the cluster under a longer prefix
// (assets-staging next to assets) matches prefix-* but not this, so listing,
// pruning and deleting never reach its indexes.
func (c *Client) Owns(name string) bool {
	rest, ok := strings.CutPrefix(name, c.alias+"-")
	if !ok {
		return false
	}
	if rest == initialSuffix {
		return true
	}
	_, err := time.Parse(indexTimeLayout, rest)
	return err == nil && len(rest) == len(indexTimeLayout)
}

// initialIndex is the first concrete index. Its name is fixed so that
// concurrent EnsureIndex calls race on one create, which only one wins.
func (c *Client) initialIndex() string { return c.alias + "-" + initialSuffix }

// InitialIndex is the name of the first concrete index, which EnsureIndex
// creates with the alias: it served from its creation.
func (c *Client) InitialIndex() string { return c.initialIndex() }

// EnsureIndex creates the first index with the alias unless the alias
// exists. It is safe to call repeatedly and concurrently.
func (c *Client) EnsureIndex(ctx context.Context) error {
	exists, err := c.aliasExists(ctx)
	if err != nil || exists {
		return err
	}
	body := indexBody()
	body["aliases"] = map[string]any{c.alias: map[string]any{}}
	err = c.do(ctx, http.MethodPut, "/"+c.initialIndex(), body, nil)
	if err != nil && !isType(err, "resource_already_exists_exception") {
		return fmt.Errorf("creating index %s: %w", c.initialIndex(), err)
	}
	return nil
}

func (c *Client) aliasExists(ctx context.Context) (bool, error) {
	err := c.do(ctx, http.MethodGet, "/_alias/"+c.alias, nil, nil)
	switch {
	case err == nil:
		return true, nil
	case isStatus(err, http.StatusNotFound):
		return false, nil
	}
	return false, fmt.Errorf("checking alias %s: %w", c.alias, err)
}

// CreateIndex creates a concrete index with the current settings and
// mapping, without the alias.
func (c *Client) CreateIndex(ctx context.Context, name string) error {
	if err := c.do(ctx, http.MethodPut, "/"+name, indexBody(), nil); err != nil {
		return fmt.Errorf("creating index %s: %w", name, err)
	}
	return nil
}

// AliasIndexes returns the concrete indexes the alias points at.
func (c *Client) AliasIndexes(ctx context.Context) ([]string, error) {
	var out map[string]any
	err := c.do(ctx, http.MethodGet, "/_alias/"+c.alias, nil, &out)
	if isStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading alias %s: %w", c.alias, err)
	}
	names := make([]string, 0, len(out))
	for name := range out {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// SwapAlias points the alias at newIndex alone, in one atomic _aliases
// request, and returns the indexes it pointed at before. It fails, changing
// nothing, if another swap moved the alias in between.
func (c *Client) SwapAlias(ctx context.Context, newIndex string) (previous []string, err error) {
	previous, err = c.AliasIndexes(ctx)
	if err != nil {
		return nil, err
	}
	actions := make([]any, 0, len(previous)+1)
	for _, p := range previous {
		if p == newIndex {
			continue
		}
		actions = append(actions, map[string]any{"remove": map[string]any{"index": p, "alias": c.alias, "must_exist": true}})
	}
	actions = append(actions, map[string]any{"add": map[string]any{"index": newIndex, "alias": c.alias}})
	if err := c.do(ctx, http.MethodPost, "/_aliases", map[string]any{"actions": actions}, nil); err != nil {
		return nil, fmt.Errorf("swapping alias %s to %s: %w", c.alias, newIndex, err)
	}
	return previous, nil
}

// IndexInfo describes one concrete index of this deployment (see Owns).
type IndexInfo struct {
	Name    string
	Aliased bool  // the alias points at it
	Docs    int64 // documents as of the last refresh
	Created time.Time
}

// Indexes lists the concrete indexes this deployment made (see Owns),
// oldest first.
func (c *Client) Indexes(ctx context.Context) ([]IndexInfo, error) {
	var rows []struct {
		Index   string `json:"index"`
		Docs    string `json:"docs.count"`
		Created string `json:"creation.date"`
	}
	path := "/_cat/indices/" + c.alias + "-*" + "?format=json&h=index,docs.count,creation.date&expand_wildcards=open"
	if err := c.do(ctx, http.MethodGet, path, nil, &rows); err != nil {
		return nil, fmt.Errorf("listing indexes %s-*: %w", c.alias, err)
	}
	aliased, err := c.AliasIndexes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]IndexInfo, 0, len(rows))
	for _, r := range rows {
		if !c.Owns(r.Index) {
			continue
		}
		n, _ := strconv.ParseInt(r.Docs, 10, 64)
		ms, _ := strconv.ParseInt(r.Created, 10, 64)
		out = append(out, IndexInfo{Name: r.Index, Docs: n, Aliased: slices.Contains(aliased, r.Index), Created: time.UnixMilli(ms).UTC()})
	}
	slices.SortFunc(out, func(a, b IndexInfo) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}

// DeleteIndex deletes a concrete index of this deployment; it refuses
// any other name (the alias, a neighbour's index).
func (c *Client) DeleteIndex(ctx context.Context, name string) error {
	if !c.Owns(name) {
		return fmt.Errorf("deleting index %s: %w: not a concrete index of %s", name, ErrInvalidRequest, c.alias)
	}
	if err := c.do(ctx, http.MethodDelete, "/"+name, nil, nil); err != nil {
		return fmt.Errorf("deleting index %s: %w", name, err)
	}
	return nil
}

// Refresh makes recent writes visible in the named indexes, or behind the
// alias when none is named.
func (c *Client) Refresh(ctx context.Context, names ...string) error {
	target := c.alias
	if len(names) > 0 {
		target = strings.Join(names, ",")
	}
	if err := c.do(ctx, http.MethodPost, "/"+target+"/_refresh", nil, nil); err != nil {
		return fmt.Errorf("refreshing %s: %w", target, err)
	}
	return nil
}

// Healthy checks the cluster with _cluster/health (the minimal distribution
// serves no GET /); red is unhealthy.
func (c *Client) Healthy(ctx context.Context) error {
	var h struct {
		Status string `json:"status"`
	}
	if err := c.do(ctx, http.MethodGet, "/_cluster/health", nil, &h); err != nil {
		return fmt.Errorf("checking cluster health: %w", err)
	}
	if h.Status == "red" {
		return fmt.Errorf("checking cluster health: cluster is red")
	}
	return nil
}
