// Command assets serves the Inventory Assets API and runs its operations:
// migrations, imports, seeding, tokens, the sync worker, reindex and verify.
// The benchmark and the fault drills live in the lab binary, assets-lab.
package main

import (
	"github.com/spf13/cobra"

	"github.com/openinventory/assets/internal/cli"
)

func main() {
	cli.Main(newRoot(cli.LoadOrExit("assets")))
}

// newRoot is the command tree over e; tests run it in-process.
func newRoot(e *cli.Env) *cobra.Command {
	root := &cobra.Command{
		Use:     "assets",
		Short:   "Inventory Assets API: PostgreSQL system of record, Elasticsearch reads",
		Version: cli.Version(),
		Long: `assets serves a Snyk-compatible Inventory Assets REST API (JSON:API) and runs its operations.

Environment:
  ASSETS_DATABASE_URL        PostgreSQL URL (required by every command that touches data)
  ASSETS_ELASTICSEARCH_URL   Elasticsearch URL (serve, sync, reindex, verify)
  ASSETS_INDEX               index alias and name prefix (default "assets")
  ASSETS_ADDR                listen address of serve (default 127.0.0.1:8080)
  ASSETS_LOG_LEVEL           debug, info, warn or error (default info)
  ASSETS_LOG_FORMAT          text or json (default text)

Commands that read or write data need a migrated database (assets migrate; serve
migrates by itself). serve and sync wait, with capped backoff, for PostgreSQL and
Elasticsearch to answer; the other commands fail at once, naming the URL.

Exit status: 0 success, 1 failure, 2 bad input (an unknown command or flag, a bad
flag value, a missing argument, unusable files or environment, a database that
was never migrated), 3 drift (verify).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(commands(e)...)
	return root
}
