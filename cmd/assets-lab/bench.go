package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openinventory/assets/internal/bench"
	"github.com/openinventory/assets/internal/cli"
)

func newBenchCmd(e *cli.Env) *cobra.Command {
	cfg := bench.Config{}
	var database, prefix, sizingDoc string
	sizingMin := bench.SizingMinAssetsDefault
	var hist historyFlags
	cmd := &cobra.Command{
		Use:   "bench [--assets N] [--duration D] [--requests N] [--out DIR] [--history DIR | --no-history]",
		Short: "Measure the API next to Elasticsearch and PostgreSQL on a seeded data set",
		Long: `bench seeds (or reuses) a reproducible data set in a database of its own (--database,
created next to ASSETS_DATABASE_URL's) and indexes it under an index prefix of its own
(--index), so the development data is never touched. It then runs "serve" and "sync" of
the assets binary (--bin) as child processes and measures, each side interleaved with the others:
lists, q== search, stored searches, group values and autocomplete through the API next to
the same question sent straight to Elasticsearch or answered by PostgreSQL alone; bulk
PATCH; sync lag under a steady update rate; reindex throughput next to raw _bulk; and
the peak memory of the two processes. Progress goes to stderr, a markdown table to
stdout, and JSON plus markdown under --out. Every request goes to loopback.

Each run is then set beside the previous committed run, the newest report in --history
(docs/bench) older than it: a ratio worse by more than --regression-threshold is flagged
as a regression, a p50 latency as a note. The comparison (latest.md) and a latency chart
(latest.svg) go to --out; a run with at least 1,000,000 assets (or any run when --history
is given) is also recorded in --history with them. --no-history leaves the history alone.

The data set is reused when the database holds the same number of assets from the same
seed, and the index when it holds as many documents.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := hist.check(); err != nil {
				return err
			}
			if hist.fromReport != "" {
				return hist.replay(e, cmd, cfg.OutDir)
			}
			if prefix == "" || prefix == e.IndexPrefix {
				return cli.BadInput(fmt.Errorf("--index %q: the benchmark needs an index prefix other than ASSETS_INDEX (%q)", prefix, e.IndexPrefix))
			}
			bin, err := assetsBinary(cfg.Binary)
			if err != nil {
				return err
			}
			cfg.Binary = bin
			url, err := bench.EnsureDatabase(ctx, e.DatabaseURL, database)
			if err != nil {
				return err
			}
			be := *e
			be.DatabaseURL, be.IndexPrefix = url, prefix
			pool, idx, err := cli.Connect(ctx, &be)
			if err != nil {
				return err
			}
			defer pool.Close()
			cfg.Pool, cfg.Index, cfg.DatabaseURL, cfg.Logger = pool, idx, url, e.Logger
			cfg.ElasticsearchURL, _, _ = strings.Cut(e.ElasticsearchURL, ",")
			cfg.Command = "assets-lab " + strings.Join(os.Args[1:], " ")
			rep, err := bench.Run(ctx, cfg)
			if err != nil {
				return err
			}
			jsonPath, mdPath, err := bench.Write(cfg.OutDir, rep)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), rep.Markdown())
			if err := hist.record(e, cmd, rep, cfg.OutDir); err != nil {
				return err
			}
			e.Logger.Info("bench: results written", "json", jsonPath, "markdown", mdPath, "duration", time.Duration(rep.Seconds*float64(time.Second)).Round(time.Second))
			if err := sizing(cmd, e, rep, sizingDoc, sizingMin); err != nil {
				return err
			}
			for _, t := range rep.Targets {
				if !t.Met {
					e.Logger.Warn("bench: target missed", "target", t.Name, "want", t.Want, "got", t.Got)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Assets, "assets", 1_000_000, "assets in the data set")
	f.Int64Var(&cfg.Seed, "seed", 1, "seed of the data set")
	f.DurationVar(&cfg.Duration, "duration", 20*time.Second, "longest time per measurement")
	f.IntVar(&cfg.Requests, "requests", 300, "most requests per side and measurement")
	f.IntVar(&cfg.Clients, "clients", bench.ConcurrencyClientsDefault, "concurrent clients of the closed loops under concurrency")
	f.IntVar(&cfg.LagRate, "lag-rate", 200, "updates per second while measuring the sync lag")
	f.DurationVar(&cfg.LagDuration, "lag-duration", 25*time.Second, "how long to apply updates while measuring the sync lag")
	f.IntVar(&cfg.BrowserChanges, "browser-changes", bench.BrowserChangesDefault, "explorer filter changes timed in Chromium")
	f.IntVar(&cfg.Snapshots, "snapshots", bench.SnapshotsDefault, "project snapshots imported (and removed again) to measure the import")
	f.StringVar(&cfg.OutDir, "out", ".bench", "folder for the results and the child processes' logs")
	f.StringVar(&database, "database", "assets_bench", "the benchmark's database, on the server of ASSETS_DATABASE_URL")
	f.StringVar(&prefix, "index", "bench", "the benchmark's index alias and prefix")
	f.StringVar(&cfg.Binary, "bin", "", "the assets binary that runs serve and sync (default: assets next to this binary)")
	hist.register(cmd)
	f.StringVar(&sizingDoc, "sizing-doc", "docs/sizing.md", "the doc whose generated sizing tables a large enough run rewrites (\"\" never)")
	f.IntVar(&sizingMin, "sizing-min-assets", bench.SizingMinAssetsDefault, "the smallest data set that rewrites --sizing-doc; smaller runs print the tables")
	f.IntVar(&cfg.Sizing.OutboxRows, "sizing-outbox-rows", bench.SizingOutboxRowsDefault, "assets updated at once to time one worker's outbox drain")
	return cmd
}

// sizing rewrites the sizing doc's tables from a large enough run, and
// only prints them otherwise.
func sizing(cmd *cobra.Command, e *cli.Env, rep *bench.Report, doc string, minAssets int) error {
	if rep.Sizing == nil {
		return nil
	}
	if doc == "" || !bench.SizingDocDue(rep, minAssets) {
		fmt.Fprint(cmd.OutOrStdout(), "\n## Sizing (not written to the doc)\n\n"+bench.SizingMarkdown(rep))
		return nil
	}
	if err := bench.WriteSizing(rep, doc); err != nil {
		return err
	}
	e.Logger.Info("bench: sizing tables written", "doc", doc)
	return nil
}
