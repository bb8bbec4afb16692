package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	conc "github.com/sourcegraph/conc/pool"
	"github.com/spf13/cobra"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/cli"
	assetsync "github.com/openinventory/assets/sync"
)

func newSyncCmd(e *cli.Env) *cobra.Command {
	var cfg assetsync.WorkerConfig
	var workers int
	var metricsAddr string
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Run the sync worker: outbox -> Elasticsearch, until interrupted",
		Long: `sync claims outbox rows in batches (FOR UPDATE SKIP LOCKED, so several workers may
run), writes the current rows with external versions and removes the rows only after
Elasticsearch acknowledged them. It wakes on LISTEN/NOTIFY with a polling fallback and
retries with capped backoff (--max-backoff) while Elasticsearch or PostgreSQL is down,
including at start-up: it waits for both to answer, logging why. With
OTEL_EXPORTER_OTLP_ENDPOINT set, its Elasticsearch requests are traced over OTLP/HTTP.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, stopTracing, err := startTracing(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer stopTracing()
			pool, idx, err := cli.ConnectWait(cmd.Context(), e, cli.Backoff{Max: cfg.MaxBackoff})
			if err != nil {
				return err
			}
			defer pool.Close()
			if err := cli.RequireSchema(cmd.Context(), pool); err != nil {
				return err
			}
			if metricsAddr == "" {
				return assetsync.RunWorkers(cmd.Context(), pool, idx, e.Logger, cfg, workers)
			}
			reg := newRegistry()
			cfg := observeSync(reg, cfg)
			g := conc.New().WithContext(cmd.Context()).WithCancelOnError().WithFirstError()
			g.Go(func(ctx context.Context) error { return serveMetrics(ctx, metricsAddr, reg) })
			g.Go(func(ctx context.Context) error {
				err := assetsync.RunWorkers(ctx, pool, idx, e.Logger, cfg, workers)
				return errors.Join(err, context.Canceled) // stop the metrics server too
			})
			if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&cfg.BatchSize, "batch", assetsync.BatchSizeDefault, "outbox rows per batch")
	cmd.Flags().DurationVar(&cfg.PollInterval, "poll", assetsync.PollIntervalDefault, "poll interval when no notification arrives")
	cmd.Flags().DurationVar(&cfg.MaxBackoff, "max-backoff", assetsync.MaxBackoffDefault, "longest wait between retries while Elasticsearch or PostgreSQL fail")
	cmd.Flags().DurationVar(&cfg.BatchTimeout, "batch-timeout", assetsync.BatchTimeoutDefault, "deadline of one batch, claim to commit (a hung Elasticsearch fails the batch)")
	cmd.Flags().IntVar(&workers, "workers", assetsync.WorkersDefault, "concurrent workers in this process")
	cmd.Flags().StringVar(&metricsAddr, "metrics-addr", "", "serve Prometheus /metrics on this address (e.g. 127.0.0.1:9108)")
	return cmd
}

func newReindexCmd(e *cli.Env) *cobra.Command {
	var cfg assetsync.ReindexConfig
	var ifOutdated bool
	cmd := &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the index from PostgreSQL and swap the alias, with no downtime",
		Long: `reindex creates a new index, registers it so the sync worker writes to it too while it
builds, streams every asset from PostgreSQL (keyset pages over id ranges) into it with
concurrent bulk requests, swaps the alias atomically, and keeps the --keep newest previous
indexes. Writes made during the reindex are never lost. It fails at once, naming the
URL, when PostgreSQL or Elasticsearch does not answer.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pool, idx, err := cli.Connect(cmd.Context(), cli.ForReindex(e))
			if err != nil {
				return err
			}
			defer pool.Close()
			if err := cli.RequireSchema(cmd.Context(), pool); err != nil {
				return err
			}
			if ifOutdated {
				v, old, err := idx.Outdated(cmd.Context())
				if err != nil {
					return fmt.Errorf("reindex: reading the index's mapping version: %w", err)
				}
				if !old {
					e.Logger.Info("reindex: the index is current, nothing to do", "index", idx.Alias(), "mapping_version", index.MappingVersion)
					return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"index": idx.Alias(), "docs": 0, "current": true})
				}
				e.Logger.Info("reindex: the index was built by an older version", "index", idx.Alias(), "mapping_version", v, "want", index.MappingVersion)
			}
			prog, err := cli.NewCommandProgress(e.Logger)
			if err != nil {
				return err
			}
			defer prog.Close()
			cfg.Progress = prog.Counter("reindex", "docs")
			res, err := assetsync.Reindex(cmd.Context(), pool, idx, e.Logger, cfg)
			if err != nil {
				return fmt.Errorf("reindex: %w", err)
			}
			prog.Finish()
			rate := float64(res.Docs) / res.Duration.Seconds()
			e.Logger.Info("reindex done", "index", res.Index, "docs", res.Docs, "duration", res.Duration.Round(time.Millisecond),
				"docs_per_s", int(rate), "previous", res.Previous, "deleted", res.Deleted)
			return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{
				"index": res.Index, "docs": res.Docs, "seconds": res.Duration.Seconds(), "docs_per_second": int(rate),
				"previous": res.Previous, "deleted": res.Deleted,
			})
		},
	}
	cmd.Flags().IntVar(&cfg.Keep, "keep", assetsync.KeepDefault, "previous indexes to keep after the swap")
	cmd.Flags().BoolVar(&ifOutdated, "if-outdated", false, "reindex only when the index was built by an older version (its mapping version is older than this binary's)")
	cmd.Flags().IntVar(&cfg.BulkWorkers, "workers", assetsync.BulkWorkersDefault, "concurrent _bulk requests")
	cmd.Flags().IntVar(&cfg.BulkRetries, "bulk-retries", index.BulkRetriesDefault, "resends of documents Elasticsearch rejects for load (429) before the reindex fails (negative: none)")
	cmd.Flags().IntVar(&cfg.Readers, "readers", assetsync.ReadersDefault, "concurrent PostgreSQL readers")
	cmd.Flags().IntVar(&cfg.PageSize, "page", assetsync.PageSizeDefault, "assets per PostgreSQL page")
	return cmd
}

func newVerifyCmd(e *cli.Env) *cobra.Command {
	var cfg assetsync.VerifyConfig
	cmd := &cobra.Command{
		Use:   "verify [--repair]",
		Short: "Compare PostgreSQL and Elasticsearch per tenant; exit 3 on drift",
		Long: `verify compares, per tenant, the document count and every document's version in
PostgreSQL and Elasticsearch, and prints a JSON report. It exits 0 when nothing drifted and
3 when something did. --repair re-enqueues the drifted ids for the sync worker. --wait
first waits (up to the duration) for the outbox to drain. It fails at once, naming the
URL, when PostgreSQL or Elasticsearch does not answer.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pool, idx, err := cli.Connect(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer pool.Close()
			if err := cli.RequireSchema(cmd.Context(), pool); err != nil {
				return err
			}
			rep, err := assetsync.Verify(cmd.Context(), pool, idx, cfg)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				return err
			}
			if rep.Drifted > 0 {
				return &cli.ExitError{Code: cli.ExitDrift, Err: fmt.Errorf("%d documents drifted (outbox backlog %d)", rep.Drifted, rep.Backlog)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&cfg.Repair, "repair", false, "re-enqueue drifted ids")
	cmd.Flags().StringVar(&cfg.TenantID, "tenant", "", "only this tenant")
	cmd.Flags().DurationVar(&cfg.Wait, "wait", 0, "wait up to this long for the outbox to drain first")
	return cmd
}
