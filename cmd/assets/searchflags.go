package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/openinventory/assets/api"
	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/store"
)

// searchFlags are serve's caps on stored searches (their environment
// variables are in serveEnv).
type searchFlags struct {
	perToken, perTenant int
}

func (f *searchFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&f.perToken, "max-searches-per-token", api.MaxSearchesPerTokenDefault,
		"live stored searches one token may hold ($ASSETS_MAX_SEARCHES_PER_TOKEN)")
	fs.IntVar(&f.perTenant, "max-searches-per-tenant", api.MaxSearchesPerTenantDefault,
		"live stored searches one tenant may hold ($ASSETS_MAX_SEARCHES_PER_TENANT)")
}

// resolve checks the caps and loads the cursor key (ASSETS_CURSOR_KEY, else
// the one stored in PostgreSQL) into cfg.
func (f *searchFlags) resolve(ctx context.Context, q store.Querier, cfg *api.Config) error {
	if f.perToken <= 0 || f.perTenant <= 0 {
		return cli.BadInput(fmt.Errorf("--max-searches-per-token and --max-searches-per-tenant must be positive"))
	}
	configured := os.Getenv("ASSETS_CURSOR_KEY")
	if configured != "" && len(configured) < api.CursorKeyMinBytes {
		return cli.BadInput(fmt.Errorf("ASSETS_CURSOR_KEY has %d bytes; it needs at least %d", len(configured), api.CursorKeyMinBytes))
	}
	key, err := api.LoadCursorKey(ctx, q, configured)
	if err != nil {
		return err
	}
	cfg.MaxSearchesPerToken, cfg.MaxSearchesPerTenant, cfg.CursorKey = f.perToken, f.perTenant, key
	return nil
}
