package main

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/internal/drills"
)

func newDrillsCmd(e *cli.Env) *cobra.Command {
	var cfg drills.Config
	cmd := &cobra.Command{
		Use:   "drills [--only NAME,...]",
		Short: "Run the fault drills (kill the worker, stop Elasticsearch, restart PostgreSQL, ...); exit 1 if one fails",
		Long: `drills injects faults into a system of its own and checks the guarantees: it recreates
the database --database through ASSETS_DATABASE_URL (used as the admin connection), uses
the index prefix --index, seeds it, and runs its own "assets serve" and "assets sync"
child processes (copies of the assets binary --bin, by default the one next to this
binary) on a free loopback port. Each drill prints one line: its name, what it measured,
PASS or FAIL; each that can drift ends with "assets verify". Stopping and starting
PostgreSQL and Elasticsearch goes through --services-script (scripts/services.sh), so
those drills interrupt every user of the two services. "make drills" runs it through
scripts/drills.sh, which also installs schemathesis.

The drills, in order:
` + drills.Summaries(),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if e.DatabaseURL == "" {
				return cli.BadInput(errors.New("set ASSETS_DATABASE_URL (an existing database: the admin connection)"))
			}
			if e.ElasticsearchURL == "" {
				return cli.BadInput(errors.New("set ASSETS_ELASTICSEARCH_URL"))
			}
			cfg.AdminDatabaseURL = e.DatabaseURL
			cfg.ElasticsearchURL = e.ElasticsearchURL
			cfg.ESAuth = &e.ES
			cfg.Out = cmd.OutOrStdout()
			cfg.Logger = e.Logger
			var err error
			if cfg.Binary, err = assetsBinary(cfg.Binary); err != nil {
				return err
			}
			for _, p := range []*string{&cfg.WorkDir, &cfg.ServicesScript, &cfg.PublishedContract} {
				if *p == "" {
					continue // no published contract: that drill is not run
				}
				if *p, err = filepath.Abs(*p); err != nil {
					return err
				}
			}
			if cfg.Schemathesis != "" {
				if cfg.Schemathesis, err = filepath.Abs(cfg.Schemathesis); err != nil {
					return err
				}
			}
			_, err = drills.Run(cmd.Context(), cfg)
			return err
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&cfg.Only, "only", nil, "run only these drills (comma-separated names)")
	f.StringVar(&cfg.Database, "database", "assets_drills", "the drills' own database, recreated on every run")
	f.StringVar(&cfg.IndexPrefix, "index", "drills", "the drills' own index alias and prefix")
	f.StringVar(&cfg.WorkDir, "work-dir", ".services/drills", "logs, reports and the copy of the binary")
	f.StringVar(&cfg.ServicesScript, "services-script", "scripts/services.sh", "script with stop|start postgres|elasticsearch")
	f.StringVar(&cfg.Schemathesis, "schemathesis", "", "the schemathesis CLI (scripts/drills.sh installs one)")
	f.StringVar(&cfg.PublishedContract, "published-contract", os.Getenv(drills.PublishedContractEnv),
		"the published OpenAPI document the published-contract drill fuzzes with (default $"+drills.PublishedContractEnv+"; none: that drill is not run)")
	f.StringVar(&cfg.Binary, "bin", "", "the assets binary the children run (default: assets next to this binary)")
	f.IntVar(&cfg.Assets, "assets", 3000, "assets to seed")
	f.Int64Var(&cfg.Seed, "seed", 1, "seed of the data, the load and the fault timing")
	f.IntVar(&cfg.Rate, "rate", 200, "updates per second of the write load")
	f.IntVar(&cfg.Kills, "kills", 10, "kill -9s of the sync worker")
	f.DurationVar(&cfg.KillDuration, "kill-duration", drills.DefaultKillDuration, "write load while the worker is killed")
	f.DurationVar(&cfg.ESOutage, "es-outage", drills.DefaultESOutage, "how long Elasticsearch stays down")
	f.DurationVar(&cfg.PGOutage, "pg-outage", drills.DefaultPGOutage, "how long PostgreSQL stays down")
	f.IntVar(&cfg.FuzzRequests, "fuzz-requests", 2000, "schemathesis requests at least")
	f.IntVar(&cfg.ConcurrentPatches, "patches", 50, "concurrent PATCHes of the concurrency drill")
	f.IntVar(&cfg.ESNodes, "es-nodes", 0, "Elasticsearch nodes (default: the URLs in ASSETS_ELASTICSEARCH_URL); the cluster drills need 3")
	f.DurationVar(&cfg.NodeDown, "node-down", drills.NodeLossDownDefault, "how long es-node-loss keeps its node down")
	f.DurationVar(&cfg.GreenTimeout, "green-timeout", drills.GreenTimeoutDefault, "bound on the wait for a green cluster")
	f.DurationVar(&cfg.TwoOfEachDuration, "two-of-each-duration", drills.TwoOfEachDurationDefault, "load of the two-of-each drill")
	f.DurationVar(&cfg.ServicesTimeout, "services-timeout", drills.ServicesTimeoutDefault, "bound on one stop or start through the services script")
	return cmd
}
