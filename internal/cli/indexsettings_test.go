package cli

import (
	"errors"
	"testing"

	"github.com/openinventory/assets/index"
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
