package cli

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
)

func TestPoolSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		env      map[string]string
		api      bool
		want     store.PoolSettings
		badInput bool
	}{
		{"defaults", nil, false, store.PoolSettings{MaxConns: PGMaxConnsDefault}, false},
		{"api defaults", nil, true, store.PoolSettings{MaxConns: PGMaxConnsDefault, StatementTimeout: PGStatementTimeoutDefault}, false},
		{"set", map[string]string{"ASSETS_PG_MAX_CONNS": "7", "ASSETS_PG_STATEMENT_TIMEOUT": "2500ms"}, true,
			store.PoolSettings{MaxConns: 7, StatementTimeout: 2500 * time.Millisecond}, false},
		{"timeout ignored off the api", map[string]string{"ASSETS_PG_STATEMENT_TIMEOUT": "1s"}, false,
			store.PoolSettings{MaxConns: PGMaxConnsDefault}, false},
		{"timeout off", map[string]string{"ASSETS_PG_STATEMENT_TIMEOUT": "0"}, true, store.PoolSettings{MaxConns: PGMaxConnsDefault}, false},
		{"zero conns", map[string]string{"ASSETS_PG_MAX_CONNS": "0"}, false, store.PoolSettings{}, true},
		{"words", map[string]string{"ASSETS_PG_MAX_CONNS": "many"}, false, store.PoolSettings{}, true},
		{"negative timeout", map[string]string{"ASSETS_PG_STATEMENT_TIMEOUT": "-1s"}, true, store.PoolSettings{}, true},
		{"timeout without unit", map[string]string{"ASSETS_PG_STATEMENT_TIMEOUT": "10"}, true, store.PoolSettings{}, true},
	} {
		got, err := PoolSettings(func(k string) string { return tc.env[k] }, tc.api)
		var ee *ExitError
		if tc.badInput {
			if !errors.As(err, &ee) || ee.Code != ExitBadInput {
				t.Errorf("%s: err = %v, want bad input", tc.name, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

// The API's pool bounds its statements; the other commands' pools do not.
func TestTheAPIPoolBoundsItsStatements(t *testing.T) {
	t.Parallel()
	_, prefix := testenv.Elasticsearch(t)
	e := &Env{DatabaseURL: testenv.DatabaseURL(t), ElasticsearchURL: testenv.ElasticsearchURL(t), IndexPrefix: prefix,
		ES: testenv.ElasticsearchAuth(t)}
	ctx := context.Background()
	for _, tc := range []struct {
		env  *Env
		want string
	}{
		{ForAPI(e), "10s"},
		{e, "0"},
	} {
		pool, _, err := Connect(ctx, tc.env)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = pool.QueryRow(ctx, `SHOW statement_timeout`).Scan(&got)
		maxConns := pool.Config().MaxConns
		pool.Close()
		if err != nil || got != tc.want {
			t.Errorf("statement_timeout = %q (%v), want %q", got, err, tc.want)
		}
		if maxConns != PGMaxConnsDefault {
			t.Errorf("max conns = %d, want %d", maxConns, PGMaxConnsDefault)
		}
	}
}
