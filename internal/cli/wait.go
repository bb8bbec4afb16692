package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/index"
)

// Defaults of the start-up wait of long-running commands (serve, sync).
const (
	// ConnectInitialBackoffDefault is the first wait after a service did not answer.
	ConnectInitialBackoffDefault = 500 * time.Millisecond
	// ConnectMaxBackoffDefault caps the wait between two attempts.
	ConnectMaxBackoffDefault = 30 * time.Second
)

// Backoff bounds the waits between attempts; zero fields take the defaults.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
}

func (b Backoff) policy() *backoff.ExponentialBackOff {
	p := backoff.NewExponentialBackOff()
	p.InitialInterval = b.Initial
	if p.InitialInterval <= 0 {
		p.InitialInterval = ConnectInitialBackoffDefault
	}
	p.MaxInterval = b.Max
	if p.MaxInterval <= 0 {
		p.MaxInterval = ConnectMaxBackoffDefault
	}
	p.InitialInterval = min(p.InitialInterval, p.MaxInterval)
	p.MaxElapsedTime = 0 // until the service answers or the command is stopped
	return p
}

// WaitFor calls try until it succeeds or fails with something other than an
// *UnavailableError, waiting between attempts with capped exponential
// backoff and logging why. It gives up when ctx ends.
func WaitFor(ctx context.Context, log *slog.Logger, b Backoff, try func(context.Context) error) error {
	var last error
	op := func() error {
		err := try(ctx)
		var ue *UnavailableError
		if err != nil && !errors.As(err, &ue) {
			return backoff.Permanent(err)
		}
		last = err
		return err
	}
	notify := func(err error, next time.Duration) {
		log.Warn("waiting for a service to answer", "err", err, "retry_in", next.Round(time.Millisecond))
	}
	err := backoff.RetryNotify(op, backoff.WithContext(b.policy(), ctx), notify)
	if err != nil && ctx.Err() != nil && last != nil {
		return fmt.Errorf("stopped while waiting: %w", last)
	}
	return err
}

// ConnectWait is Connect for long-running commands: while PostgreSQL or
// Elasticsearch does not answer (a boot race with the services), it waits
// and tries again instead of exiting.
func ConnectWait(ctx context.Context, e *Env, b Backoff) (*pgxpool.Pool, *index.Client, error) {
	var pool *pgxpool.Pool
	var idx *index.Client
	err := WaitFor(ctx, e.Logger, b, func(ctx context.Context) error {
		var err error
		pool, idx, err = Connect(ctx, e)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return pool, idx, nil
}
