// Package harness is what the lab (internal/bench and internal/drills)
// needs to run the assets binary against services of its own: child
// processes with their logs, free loopback ports, databases created and
// dropped next to an admin connection, plain HTTP to the API and to
// Elasticsearch, readiness waits, and a few small helpers. It knows
// nothing of the benchmark's or the drills' own types; internal/testenv
// uses its database helper too.
package harness

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// SleepCtx sleeps for d or until ctx ends; it reports whether it slept.
func SleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// OneLine collapses whitespace runs (newlines included) into single spaces.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Truncate is b on one line, cut to n bytes with "..." when longer.
func Truncate(b []byte, n int) string {
	s := OneLine(string(b))
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// FreeLoopbackAddr picks a free TCP port on 127.0.0.1.
func FreeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// LoopbackOnly refuses services that are not on this machine's loopback
// interface (a Unix socket counts as local): the lab stops and starts them
// with a local script, and every request it makes stays on loopback.
// databaseURL is a PostgreSQL URL or DSN, elasticsearchURLs a
// comma-separated list; either may be empty.
func LoopbackOnly(databaseURL, elasticsearchURLs string) error {
	var hosts []string
	if databaseURL != "" {
		pc, err := pgx.ParseConfig(databaseURL)
		if err != nil {
			return fmt.Errorf("parsing the database URL: %w", err)
		}
		hosts = append(hosts, pc.Host)
		for _, f := range pc.Fallbacks {
			hosts = append(hosts, f.Host)
		}
	}
	for _, u := range strings.Split(elasticsearchURLs, ",") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil {
			return fmt.Errorf("parsing the Elasticsearch URL: %w", err)
		}
		hosts = append(hosts, pu.Hostname())
	}
	for _, h := range hosts {
		if strings.HasPrefix(h, "/") {
			continue // a Unix socket
		}
		if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("%q is not a loopback address; the lab only talks to services on this machine", h)
		}
	}
	return nil
}
