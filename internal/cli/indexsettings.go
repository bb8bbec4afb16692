package cli

import (
	"fmt"
	"strconv"

	"github.com/openinventory/assets/index"
)

// IndexSettings reads the shape of the indexes this deployment creates
// from getenv (os.Getenv in the commands): ASSETS_INDEX_SHARDS (default
// index.IndexShardsDefault, at most index.IndexShardsMax) and
// ASSETS_INDEX_REPLICAS (default index.IndexReplicasDefault). They apply
// to the initial index and to every index a reindex builds; an existing
// index keeps its shape until the next reindex. A value it cannot use is
// bad input.
func IndexSettings(getenv func(string) string) (index.IndexSettings, error) {
	s := index.DefaultIndexSettings()
	for _, v := range []struct {
		env string
		dst *int
	}{{"ASSETS_INDEX_SHARDS", &s.Shards}, {"ASSETS_INDEX_REPLICAS", &s.Replicas}} {
		raw := getenv(v.env)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			return s, BadInput(fmt.Errorf("%s=%q: want a whole number", v.env, raw))
		}
		*v.dst = n
	}
	if err := s.Validate(); err != nil {
		return s, BadInput(fmt.Errorf("ASSETS_INDEX_SHARDS / ASSETS_INDEX_REPLICAS: %w", err))
	}
	return s, nil
}
