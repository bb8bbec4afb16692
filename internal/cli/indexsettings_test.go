package cli

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/testenv"
)

func TestIndexSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		shards, replicas string
		want             index.IndexSettings
		bad              bool
	}{
		{name: "defaults", want: index.IndexSettings{Shards: index.IndexShardsDefault, Replicas: index.IndexReplicasDefault}},
		{name: "set", shards: "3", replicas: "1", want: index.IndexSettings{Shards: 3, Replicas: 1}},
		{name: "shards only", shards: "5", want: index.IndexSettings{Shards: 5, Replicas: 0}},
		{name: "zero shards", shards: "0", bad: true},
		{name: "too many shards", shards: "1025", bad: true},
		{name: "negative replicas", replicas: "-1", bad: true},
		{name: "not a number", shards: "three", bad: true},
		{name: "fraction", replicas: "1.5", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"ASSETS_INDEX_SHARDS": tc.shards, "ASSETS_INDEX_REPLICAS": tc.replicas}
			got, err := IndexSettings(func(k string) string { return env[k] })
			var ee *ExitError
			switch {
			case tc.bad && (!errors.As(err, &ee) || ee.Code != ExitBadInput):
				t.Fatalf("err %v, want bad input", err)
			case !tc.bad && err != nil:
				t.Fatal(err)
			case !tc.bad && got != tc.want:
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// Connect creates the initial index with ASSETS_INDEX_SHARDS and
// ASSETS_INDEX_REPLICAS, and refuses a bad value as bad input.
func TestConnectAppliesIndexSettings(t *testing.T) {
	ctx := context.Background()
	_, prefix := testenv.Elasticsearch(t)
	e := &Env{DatabaseURL: testenv.DatabaseURL(t), ElasticsearchURL: testenv.ElasticsearchURL(t), IndexPrefix: prefix, Logger: slog.Default(),
		ES: testenv.ElasticsearchAuth(t)}
	t.Setenv("ASSETS_INDEX_SHARDS", "0")
	var ee *ExitError
	if _, _, err := Connect(ctx, e); !errors.As(err, &ee) || ee.Code != ExitBadInput {
		t.Fatalf("zero shards: err %v, want bad input", err)
	}
	t.Setenv("ASSETS_INDEX_SHARDS", "2")
	pool, idx, err := Connect(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	want := index.IndexSettings{Shards: 2, Replicas: 0}
	if got, err := idx.SettingsOf(ctx, idx.Alias()); err != nil || got != want {
		t.Errorf("initial index %+v (%v), want %+v", got, err, want)
	}
}
