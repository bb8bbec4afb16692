// Package cli is what the assets binary and the lab binary (assets-lab)
// share: the configuration read from the environment, the connection to
// PostgreSQL and Elasticsearch, and the exit-status convention.
//
// Exit statuses:
//
//	0  success
//	1  failure (the default for any error)
//	2  bad input: flags, arguments, files or environment the command cannot use
//	3  drift: assets verify found PostgreSQL and Elasticsearch disagreeing
package cli

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

// Exit statuses; see the package documentation.
const (
	ExitFailure  = 1
	ExitBadInput = 2
	ExitDrift    = 3
)

// ExitError carries a process exit status with its error.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// BadInput marks err as bad input (exit status 2).
func BadInput(err error) error { return &ExitError{Code: ExitBadInput, Err: err} }

// Env holds what every command reads from the environment.
type Env struct {
	DatabaseURL      string // ASSETS_DATABASE_URL
	ElasticsearchURL string // ASSETS_ELASTICSEARCH_URL, comma-separated
	IndexPrefix      string // ASSETS_INDEX, default "assets"
	Logger           *slog.Logger
}

// Load reads the environment: ASSETS_DATABASE_URL, ASSETS_ELASTICSEARCH_URL,
// ASSETS_INDEX and ASSETS_LOG_LEVEL ("debug" for debug logs on stderr).
func Load() *Env {
	level := slog.LevelInfo
	if os.Getenv("ASSETS_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	e := &Env{
		DatabaseURL:      os.Getenv("ASSETS_DATABASE_URL"),
		ElasticsearchURL: os.Getenv("ASSETS_ELASTICSEARCH_URL"),
		IndexPrefix:      os.Getenv("ASSETS_INDEX"),
		Logger:           slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	}
	if e.IndexPrefix == "" {
		e.IndexPrefix = "assets"
	}
	return e
}

// Main runs root until it returns or SIGINT/SIGTERM cancels its context,
// prints an error prefixed with root's name on stderr and exits with the
// error's status (ExitError) or 1.
func Main(root *cobra.Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := root.ExecuteContext(ctx)
	stop()
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "%s: %v\n", root.Name(), err)
	var ee *ExitError
	if errors.As(err, &ee) {
		os.Exit(ee.Code)
	}
	os.Exit(ExitFailure)
}
