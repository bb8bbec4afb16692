package index

import (
	"context"
	"sync"
)

// shardCounts remembers the primary shards of the index behind each alias
// a client reads: a terms aggregation cut to a size is exact on one shard
// only, and reading the settings for every request would cost a round trip.
// Every aggregation answer says how many shards it asked (_shards.total),
// which corrects the entry when a reindex swapped the alias to an index of
// another shape.
type shardCounts struct {
	mu     sync.Mutex
	byName map[string]int
}

func newShardCounts() *shardCounts { return &shardCounts{byName: map[string]int{}} }

func (s *shardCounts) get(name string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.byName[name]
	return n, ok
}

func (s *shardCounts) set(name string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byName[name] = n
}

// onePrimaryShard reports whether the index behind the alias has one
// primary shard, reading its settings the first time only (0, unknown, when
// that failed).
func (c *Client) onePrimaryShard(ctx context.Context) (bool, error) {
	if c.shards == nil {
		return false, nil
	}
	if n, ok := c.shards.get(c.alias); ok {
		return n == 1, nil
	}
	s, err := c.SettingsOf(ctx, c.alias)
	if err != nil {
		// Unknown until an answer says: the composite path answers, and
		// records the shards it saw, instead of every request asking again.
		c.shards.set(c.alias, 0)
		return false, err
	}
	c.shards.set(c.alias, s.Shards)
	return s.Shards == 1, nil
}

// sawShards records the shards an answer on the alias came from (ignored
// when the answer does not say) and returns it.
func (c *Client) sawShards(total int) int {
	if c.shards != nil && total > 0 {
		c.shards.set(c.alias, total)
	}
	return total
}
