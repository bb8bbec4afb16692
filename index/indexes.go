package index

import (
	"cmp"
	"context"
	"errors"
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

// EnsureIndex creates the first index, with the client's Settings, and the
// alias unless the alias exists. It is safe to call repeatedly and
// concurrently. An existing index keeps the shape it was made with: only a
// reindex changes it.
func (c *Client) EnsureIndex(ctx context.Context) error {
	exists, err := c.aliasExists(ctx)
	if err != nil {
		return err
	}
	if exists {
		return c.ensureCurrentFields(ctx)
	}
	body, err := c.createBody()
	if err != nil {
		return fmt.Errorf("creating index %s: %w", c.initialIndex(), err)
	}
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

// CreateIndex creates a concrete index with the client's Settings and the
// current mapping, without the alias.
func (c *Client) CreateIndex(ctx context.Context, name string) error {
	body, err := c.createBody()
	if err == nil {
		err = c.do(ctx, http.MethodPut, "/"+name, body, nil)
	}
	if err != nil {
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

// Defaults and bounds of IndexSettings (ASSETS_INDEX_SHARDS,
// ASSETS_INDEX_REPLICAS).
const (
	// IndexShardsDefault is one primary shard: every aggregation is then
	// computed in one place, and one shard holds tens of millions of
	// assets (see docs/sizing.md) before a second pays for its fan-out.
	IndexShardsDefault = 1
	// IndexReplicasDefault is no replica, right for one node (a replica
	// never lives on its primary's node, so it would stay unassigned and
	// the cluster yellow); a cluster of several nodes wants at least 1.
	IndexReplicasDefault = 0
	// IndexShardsMax is Elasticsearch's own limit on primary shards of one
	// index (index.number_of_shards).
	IndexShardsMax = 1024
)

// IndexSettings are the shape of a concrete index. Documents keep the
// default routing (by _id, spread evenly over the shards): every read is
// scoped by a filter and fans out to all shards, and every aggregation the
// client runs is exact on any number of shards (composite aggregations, or
// terms aggregations that every shard answers in full; see docs/sizing.md), so no
// read or write needs a routing value and an asset that moves to another
// tenant can never leave a copy behind on its old shard.
type IndexSettings struct {
	// Shards is number_of_shards, fixed when the index is created: a new
	// value takes effect with the next reindex.
	Shards int
	// Replicas is number_of_replicas: copies of each shard on other nodes,
	// for availability and read throughput.
	Replicas int
}

// DefaultIndexSettings are IndexShardsDefault and IndexReplicasDefault.
func DefaultIndexSettings() IndexSettings {
	return IndexSettings{Shards: IndexShardsDefault, Replicas: IndexReplicasDefault}
}

// Validate reports settings Elasticsearch would refuse.
func (s IndexSettings) Validate() error {
	if s.Shards < 1 || s.Shards > IndexShardsMax {
		return fmt.Errorf("%d shards: want 1 to %d", s.Shards, IndexShardsMax)
	}
	if s.Replicas < 0 {
		return fmt.Errorf("%d replicas: want 0 or more", s.Replicas)
	}
	return nil
}

// createBody is the create-index request with the client's Settings,
// which are checked first so a bad shape fails before anything is made.
func (c *Client) createBody() (map[string]any, error) {
	if err := c.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("index settings: %w", err)
	}
	body := indexBody()
	idx := body["settings"].(map[string]any)["index"].(map[string]any)
	idx["number_of_shards"], idx["number_of_replicas"] = c.Settings.Shards, c.Settings.Replicas
	return body, nil
}

// SettingsOf reads the shape of a concrete index (or of the one behind the
// alias).
func (c *Client) SettingsOf(ctx context.Context, name string) (IndexSettings, error) {
	var out map[string]struct {
		Settings struct {
			Index struct {
				Shards   string `json:"number_of_shards"`
				Replicas string `json:"number_of_replicas"`
			} `json:"index"`
		} `json:"settings"`
	}
	path := "/" + name + "/_settings/index.number_of_shards,index.number_of_replicas"
	if err := c.do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return IndexSettings{}, fmt.Errorf("reading settings of %s: %w", name, err)
	}
	if len(out) != 1 {
		return IndexSettings{}, fmt.Errorf("reading settings of %s: %d indexes answered, want 1", name, len(out))
	}
	var s IndexSettings
	for _, v := range out {
		shards, err1 := strconv.Atoi(v.Settings.Index.Shards)
		replicas, err2 := strconv.Atoi(v.Settings.Index.Replicas)
		if err := errors.Join(err1, err2); err != nil {
			return IndexSettings{}, fmt.Errorf("reading settings of %s: %w", name, err)
		}
		s = IndexSettings{Shards: shards, Replicas: replicas}
	}
	return s, nil
}

// ShardCounts returns how many documents in scope each shard of the index
// behind the alias holds, shard 0 first: how evenly a tenant spreads, for
// sizing (see docs/sizing.md) and for tests that need a scope to span
// shards.
func (c *Client) ShardCounts(ctx context.Context, s Scope) ([]int64, error) {
	q, err := scopedQuery(s, nil)
	if err != nil {
		return nil, err
	}
	settings, err := c.SettingsOf(ctx, c.alias)
	if err != nil {
		return nil, err
	}
	out := make([]int64, settings.Shards)
	for i := range out {
		var res struct {
			Count int64 `json:"count"`
		}
		path := "/" + c.alias + "/_count?preference=_shards:" + strconv.Itoa(i)
		if err := c.do(ctx, http.MethodPost, path, Query{"query": q}, &res); err != nil {
			return nil, fmt.Errorf("counting shard %d of %s: %w", i, c.alias, err)
		}
		out[i] = res.Count
	}
	return out, nil
}
