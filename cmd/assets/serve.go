package main

import (
	"context"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	conc "github.com/sourcegraph/conc/pool"
	"github.com/spf13/cobra"

	"github.com/openinventory/assets/api"
	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/store"
	assetsync "github.com/openinventory/assets/sync"
)

func newServeCmd(e *cli.Env) *cobra.Command {
	var addr string
	var withSync bool
	var workers int
	var searchTTL time.Duration
	cmd := &cobra.Command{
		Use:   "serve [--with-sync] [--addr HOST:PORT]",
		Short: "Serve the Inventory Assets API (optionally with the sync worker in-process)",
		Long: `serve migrates the database, then serves the API under /rest, the OpenAPI document at
/rest/openapi.json (browsable at /rest/docs/), /healthz, /readyz and Prometheus /metrics.
With --with-sync it also runs the sync worker in the same process. SIGINT/SIGTERM shut it
down gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if addr == "" {
				addr = os.Getenv("ASSETS_ADDR")
			}
			if addr == "" {
				addr = "127.0.0.1:8080"
			}
			pool, idx, err := cli.ConnectAPI(ctx, e)
			if err != nil {
				return err
			}
			defer pool.Close()
			if err := store.Migrate(ctx, pool, e.Logger); err != nil {
				return err
			}
			reg := newRegistry()
			srv, err := api.New(api.Config{Pool: pool, Index: idx, Logger: e.Logger, Registerer: reg, SearchTTL: searchTTL})
			if err != nil {
				return err
			}
			g := conc.New().WithContext(ctx).WithCancelOnError().WithFirstError()
			if withSync {
				cfg := observeSync(reg, assetsync.WorkerConfig{})
				g.Go(func(gctx context.Context) error { return assetsync.RunWorkers(gctx, pool, idx, e.Logger, cfg, workers) })
			}
			g.Go(func(gctx context.Context) error {
				e.Logger.Info("serving", "addr", "http://"+addr+"/rest", "with_sync", withSync)
				return srv.Run(gctx, addr)
			})
			g.Go(func(gctx context.Context) error { return expireSearches(gctx, e, pool) })
			return g.Wait()
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "listen address (default $ASSETS_ADDR, else 127.0.0.1:8080)")
	cmd.Flags().BoolVar(&withSync, "with-sync", false, "run the sync worker in this process")
	cmd.Flags().IntVar(&workers, "sync-workers", assetsync.WorkersDefault, "sync workers with --with-sync")
	cmd.Flags().DurationVar(&searchTTL, "search-ttl", 15*time.Minute, "how long a stored search lives")
	return cmd
}

// expireSearches deletes expired stored searches every minute.
func expireSearches(ctx context.Context, e *cli.Env, pool *pgxpool.Pool) error {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if n, err := store.DeleteExpiredSearches(ctx, pool); err != nil {
				e.Logger.Warn("deleting expired searches", "err", err)
			} else if n > 0 {
				e.Logger.Debug("deleted expired searches", "count", n)
			}
		}
	}
}
