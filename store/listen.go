package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AuthChangedChannel is the LISTEN/NOTIFY channel the triggers of
// migration 00007 notify when anything Authenticate or ResolveScope reads
// changes: a token revoked or expiring, grants, a scope's parents.
const AuthChangedChannel = "assets_auth_changed"

// ListenEvent is what Listen reports.
type ListenEvent int

const (
	// Listening: notifications on the channel are delivered from now on;
	// anything read before may be stale.
	Listening ListenEvent = iota
	// Notified: a notification arrived.
	Notified
	// Deaf: the listener lost its connection; notifications from now until
	// the next Listening go unreported.
	Deaf
)

// listenRetry is the pause before a listener reconnects.
const listenRetry = time.Second

// listenProbe is the payload of the notification a listener sends itself
// before it reports Listening; listenProbeTimeout bounds the wait for it.
const (
	listenProbe        = "probe"
	listenProbeTimeout = 5 * time.Second
)

// Listen reports the notifications of channel to f until ctx ends,
// reconnecting after a lost connection. f runs on the listener's goroutine
// and must not block. The listener has a connection of its own, outside
// the pool: a LISTEN holds its connection for good, which must not take
// one from the API's queries.
func Listen(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, channel string, f func(ListenEvent)) {
	for ctx.Err() == nil {
		listened, err := listenOnce(ctx, pool, channel, f)
		f(Deaf)
		if ctx.Err() != nil {
			return
		}
		// Said once when listening stops, not at every failed reconnect
		// while PostgreSQL is away.
		level := slog.LevelDebug
		if listened {
			level = slog.LevelWarn
		}
		log.Log(ctx, level, "listener lost its connection; reconnecting", "channel", channel, "err", err)
		t := time.NewTimer(listenRetry)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// listenOnce listens on one connection until it fails; listened says
// whether it got as far as listening.
func listenOnce(ctx context.Context, pool *pgxpool.Pool, channel string, f func(ListenEvent)) (listened bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig)
	if err != nil {
		return false, fmt.Errorf("connecting the %s listener: %w", channel, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return false, fmt.Errorf("listening on %s: %w", channel, err)
	}
	// Listening is proven, not assumed: a pooler in transaction mode, for
	// one, accepts LISTEN and never delivers.
	if _, err := conn.Exec(ctx, "SELECT pg_notify($1, $2)", channel, listenProbe); err != nil {
		return false, fmt.Errorf("probing %s: %w", channel, err)
	}
	pctx, cancel := context.WithTimeout(ctx, listenProbeTimeout)
	defer cancel()
	for {
		n, err := conn.WaitForNotification(pctx)
		if err != nil {
			return false, fmt.Errorf("waiting for the probe on %s (is a pooler between this server and PostgreSQL? "+
				"LISTEN needs a session of its own): %w", channel, err)
		}
		if n.Payload == listenProbe && n.PID == conn.PgConn().PID() {
			break
		}
	}
	f(Listening)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("waiting for %s: %w", channel, err)
		}
		// Another server's probe says nothing changed.
		if n.Payload == listenProbe {
			continue
		}
		f(Notified)
	}
}
