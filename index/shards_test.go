package index

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/openinventory/assets/internal/testenv"
)

func TestIndexSettingsValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s  IndexSettings
		ok bool
	}{
		{DefaultIndexSettings(), true},
		{IndexSettings{Shards: 3, Replicas: 1}, true},
		{IndexSettings{Shards: IndexShardsMax, Replicas: 0}, true},
		{IndexSettings{Shards: 0, Replicas: 0}, false},
		{IndexSettings{Shards: IndexShardsMax + 1, Replicas: 0}, false},
		{IndexSettings{Shards: 1, Replicas: -1}, false},
	} {
		if err := tc.s.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: err %v, want ok=%v", tc.s, err, tc.ok)
		}
	}
	if d := DefaultIndexSettings(); d.Shards != 1 || d.Replicas != 0 {
		t.Errorf("defaults %+v, want one shard and no replica", d)
	}
}

// EnsureIndex and CreateIndex make the shape the client is configured
// with, and refuse a bad one before creating anything.
func TestCreateIndexAppliesSettings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	es, prefix := testenv.Elasticsearch(t)
	c := New(es, prefix)
	c.Settings = IndexSettings{Shards: 3, Replicas: 0}
	if err := c.EnsureIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := c.SettingsOf(ctx, c.Alias()); err != nil || got != c.Settings {
		t.Fatalf("initial index: %+v, %v; want %+v", got, err, c.Settings)
	}
	c.Settings = IndexSettings{Shards: 2, Replicas: 0}
	name := c.NewIndexName()
	if err := c.CreateIndex(ctx, name); err != nil {
		t.Fatal(err)
	}
	if got, err := c.SettingsOf(ctx, name); err != nil || got != c.Settings {
		t.Fatalf("new index: %+v, %v; want %+v", got, err, c.Settings)
	}
	c.Settings = IndexSettings{Shards: 0}
	bad := c.NewIndexName()
	if err := c.CreateIndex(ctx, bad); err == nil {
		t.Fatal("zero shards: no error")
	}
	infos, err := c.Indexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if in.Name == bad {
			t.Errorf("a refused shape still created %s", bad)
		}
	}
}

// BenchmarkGroupValuesShards measures group values (every value of a
// field with its count, in one tenant's scope) and a counted search page
// on the same documents in a 1-shard and a 3-shard index on one node: the
// cost of the fan-out that default routing gives every read. Each
// iteration asks both indexes in turn and the medians are reported, so
// load from other processes weighs on both alike. Numbers in
// docs/sizing.md.
func BenchmarkGroupValuesShards(b *testing.B) {
	ctx := context.Background()
	assets, ids := synthAssets(30_000, 11)
	var clients []*Client
	for _, shards := range []int{1, 3} {
		es, prefix := testenv.Elasticsearch(b)
		c := New(es, prefix)
		c.Settings = IndexSettings{Shards: shards}
		if err := c.EnsureIndex(ctx); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(assets); i += 5000 {
			loadAssets(b, c, assets[i:min(i+5000, len(assets))])
		}
		clients = append(clients, c)
		logShape(b, c, Scope{TenantID: ids.tenants[0]})
	}
	scope := Scope{TenantID: ids.tenants[0]}
	reads := map[string]func(c *Client) error{
		"search": func(c *Client) error {
			_, err := c.Search(ctx, SearchRequest{Scope: scope, Limit: 20, Count: CountWith, Sort: []SortField{{Name: "name"}}})
			return err
		},
	}
	for _, field := range []string{"name", "labels", "os"} {
		reads["group_"+field] = func(c *Client) error {
			_, err := c.GroupValues(ctx, GroupValuesRequest{Scope: scope, Field: field, Meta: []string{MetaCount},
				Sort: []SortField{{Name: MetaCount, Desc: true}}, Limit: 10})
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(reads)) {
		read := reads[name]
		b.Run(name, func(b *testing.B) {
			took := make([][]time.Duration, len(clients))
			for b.Loop() {
				for i, c := range clients {
					start := time.Now()
					if err := read(c); err != nil {
						b.Fatal(err)
					}
					took[i] = append(took[i], time.Since(start))
				}
			}
			for i, shards := range []int{1, 3} {
				slices.Sort(took[i])
				b.ReportMetric(float64(took[i][len(took[i])/2].Microseconds())/1000, fmt.Sprintf("ms-p50-%dshard", shards))
			}
		})
	}
}

// logShape logs how a scope spreads over the shards, for docs/sizing.md.
func logShape(b *testing.B, c *Client, s Scope) {
	counts, err := c.ShardCounts(context.Background(), s)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d shard(s): the tenant's documents per shard %v", len(counts), counts)
}
