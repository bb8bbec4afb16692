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

// AuthEvent is what ListenAuthChanges reports.
type AuthEvent int

const (
	// AuthListening: the channel is listened to from now on; anything read
	// before may be stale.
	AuthListening AuthEvent = iota
	// AuthChanged: something authorization reads changed.
	AuthChanged
	// AuthDeaf: the listener lost its connection; changes from now until
	// the next AuthListening go unreported.
	AuthDeaf
)

// authListenRetry is the pause before the listener reconnects.
const authListenRetry = time.Second

// authProbe is the payload of the notification the listener sends itself
// before it reports listening; authProbeTimeout bounds the wait for it.
const (
	authProbe        = "probe"
	authProbeTimeout = 5 * time.Second
)

// ListenAuthChanges reports the changes of AuthChangedChannel to f until ctx
// ends, reconnecting after a lost connection. f runs on the listener's
// goroutine and must not block. The listener has a connection of its own,
// outside the pool: a LISTEN holds its connection for good.
func ListenAuthChanges(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, f func(AuthEvent)) {
	for ctx.Err() == nil {
		listened, err := listenAuthOnce(ctx, pool, f)
		f(AuthDeaf)
		if ctx.Err() != nil {
			return
		}
		// Said once when listening stops, not at every failed reconnect
		// while PostgreSQL is away.
		level := slog.LevelDebug
		if listened {
			level = slog.LevelWarn
		}
		log.Log(ctx, level, "the authorization cache is off until its listener reconnects", "err", err)
		t := time.NewTimer(authListenRetry)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// listenAuthOnce listens on one connection until it fails; listened says
// whether it got as far as listening.
func listenAuthOnce(ctx context.Context, pool *pgxpool.Pool, f func(AuthEvent)) (listened bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig)
	if err != nil {
		return false, fmt.Errorf("connecting the authorization listener: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+AuthChangedChannel); err != nil {
		return false, fmt.Errorf("listening on %s: %w", AuthChangedChannel, err)
	}
	// Listening is proven, not assumed: a pooler in transaction mode, for
	// one, accepts LISTEN and never delivers. The cache stays off until the
	// listener hears its own probe.
	if _, err := conn.Exec(ctx, "SELECT pg_notify($1, $2)", AuthChangedChannel, authProbe); err != nil {
		return false, fmt.Errorf("probing %s: %w", AuthChangedChannel, err)
	}
	pctx, cancel := context.WithTimeout(ctx, authProbeTimeout)
	defer cancel()
	for {
		n, err := conn.WaitForNotification(pctx)
		if err != nil {
			return false, fmt.Errorf("waiting for the probe on %s (is a pooler between this server and PostgreSQL? "+
				"LISTEN needs a session of its own): %w", AuthChangedChannel, err)
		}
		if n.Payload == authProbe && n.PID == conn.PgConn().PID() {
			break
		}
	}
	f(AuthListening)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("waiting for %s: %w", AuthChangedChannel, err)
		}
		// Another server's probe says nothing changed.
		if n.Payload == authProbe {
			continue
		}
		f(AuthChanged)
	}
}
