package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/openinventory/assets/store"
)

// Pool settings: the defaults of ASSETS_PG_MAX_CONNS and
// ASSETS_PG_STATEMENT_TIMEOUT.
const (
	// PGMaxConnsDefault is the size of a command's PostgreSQL pool: what
	// the API, the sync workers and a reindex's readers share, with room
	// to spare on a PostgreSQL allowing 100 connections for a few processes.
	PGMaxConnsDefault = 20
	// PGStatementTimeoutDefault bounds every statement of the API's pool, so
	// a pathological query cannot hold a connection and its locks for long.
	// Import, reindex and verify pools are unbounded: their long statements
	// are legitimate.
	PGStatementTimeoutDefault = 10 * time.Second
)

// ForAPI returns a copy of e whose PostgreSQL pool is the API server's: it
// bounds every statement by ASSETS_PG_STATEMENT_TIMEOUT.
func ForAPI(e *Env) *Env {
	api := *e
	api.APIPool = true
	return &api
}

// ForReindex returns a copy of e for a command that rebuilds the index:
// Connect does not tell it to run assets reindex.
func ForReindex(e *Env) *Env {
	r := *e
	r.Rebuilding = true
	return &r
}

// PoolSettings reads the pool settings from getenv (os.Getenv in the
// commands): ASSETS_PG_MAX_CONNS and, for the API's pool (api true),
// ASSETS_PG_STATEMENT_TIMEOUT (a Go duration; 0 disables it). A value it
// cannot use is bad input.
func PoolSettings(getenv func(string) string, api bool) (store.PoolSettings, error) {
	ps := store.PoolSettings{MaxConns: PGMaxConnsDefault}
	if v := getenv("ASSETS_PG_MAX_CONNS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 {
			return ps, BadInput(fmt.Errorf("ASSETS_PG_MAX_CONNS=%q: want a whole number of connections, at least 1", v))
		}
		ps.MaxConns = int32(n)
	}
	if !api {
		return ps, nil
	}
	ps.StatementTimeout = PGStatementTimeoutDefault
	if v := getenv("ASSETS_PG_STATEMENT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return ps, BadInput(fmt.Errorf("ASSETS_PG_STATEMENT_TIMEOUT=%q: want a duration such as 10s, or 0 for none", v))
		}
		ps.StatementTimeout = d
	}
	return ps, nil
}
