// Command assets serves the Inventory Assets API and runs its operations:
// migrations, imports, seeding, tokens, the sync worker, reindex and verify.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// exitError carries a process exit status (2 for bad input).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// env holds what every command reads from the environment.
type env struct {
	databaseURL      string
	elasticsearchURL string
	indexPrefix      string
	logger           *slog.Logger
}

func loadEnv() *env {
	level := slog.LevelInfo
	if os.Getenv("ASSETS_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	e := &env{
		databaseURL:      os.Getenv("ASSETS_DATABASE_URL"),
		elasticsearchURL: os.Getenv("ASSETS_ELASTICSEARCH_URL"),
		indexPrefix:      os.Getenv("ASSETS_INDEX"),
		logger:           slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	}
	if e.indexPrefix == "" {
		e.indexPrefix = "assets"
	}
	return e
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := loadEnv()
	root := &cobra.Command{
		Use:   "assets",
		Short: "Inventory Assets API: PostgreSQL system of record, Elasticsearch reads",
		Long: `assets serves a Snyk-compatible Inventory Assets REST API (JSON:API) and runs its operations.

Environment:
  ASSETS_DATABASE_URL        PostgreSQL URL (required by every command that touches data)
  ASSETS_ELASTICSEARCH_URL   Elasticsearch URL (serve, sync, reindex, verify)
  ASSETS_INDEX               index alias and name prefix (default "assets")
  ASSETS_ADDR                listen address of serve (default 127.0.0.1:8080)
  ASSETS_LOG_LEVEL           "debug" for debug logs (default info)`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(commands(e)...)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "assets:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	os.Exit(1)
}
