package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/openinventory/assets/api"
	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/store"
)

// searchFlags are serve's limits on stored searches and the cursor key.
type searchFlags struct {
	perToken, perTenant int
}

func (f *searchFlags) register(cmd *cobra.Command) {
	cmd.Flags().IntVar(&f.perToken, "max-searches-per-token", api.MaxSearchesPerTokenDefault,
		"live stored searches one token may hold (default $ASSETS_MAX_SEARCHES_PER_TOKEN, else this)")
	cmd.Flags().IntVar(&f.perTenant, "max-searches-per-tenant", api.MaxSearchesPerTenantDefault,
		"live stored searches one tenant may hold (default $ASSETS_MAX_SEARCHES_PER_TENANT, else this)")
}

// resolve applies the environment to the flags not given, and loads the
// cursor key (ASSETS_CURSOR_KEY, else the one stored in PostgreSQL).
func (f *searchFlags) resolve(ctx context.Context, cmd *cobra.Command, q store.Querier, cfg *api.Config) error {
	for _, v := range []struct {
		flag, env string
		to        *int
	}{
		{"max-searches-per-token", "ASSETS_MAX_SEARCHES_PER_TOKEN", &f.perToken},
		{"max-searches-per-tenant", "ASSETS_MAX_SEARCHES_PER_TENANT", &f.perTenant},
	} {
		if err := intFromEnv(cmd, v.flag, v.env, v.to); err != nil {
			return err
		}
	}
	key, err := api.LoadCursorKey(ctx, q, os.Getenv("ASSETS_CURSOR_KEY"))
	if err != nil {
		return cli.BadInput(fmt.Errorf("ASSETS_CURSOR_KEY: %w", err))
	}
	cfg.MaxSearchesPerToken, cfg.MaxSearchesPerTenant, cfg.CursorKey = f.perToken, f.perTenant, key
	return nil
}

// intFromEnv sets *to from the environment variable env when the flag was
// not given; a value that is not a positive integer is bad input.
func intFromEnv(cmd *cobra.Command, flag, env string, to *int) error {
	s, ok := os.LookupEnv(env)
	if !ok || cmd.Flags().Changed(flag) {
		if *to <= 0 {
			return cli.BadInput(fmt.Errorf("--%s must be a positive integer", flag))
		}
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return cli.BadInput(fmt.Errorf("%s must be a positive integer, not %q", env, s))
	}
	*to = n
	return nil
}
