package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/internal/testenv"
)

// result is what one in-process run of the assets command gave.
type result struct {
	out  string
	code int // the exit status cli.Main would use
	err  error
}

// run executes the command tree in-process with args, as cli.Main would.
func run(t testing.TB, e *cli.Env, args ...string) result {
	t.Helper()
	return runCtx(context.Background(), t, e, args...)
}

func runCtx(ctx context.Context, t testing.TB, e *cli.Env, args ...string) result {
	t.Helper()
	root := newRoot(e)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(io.Discard)
	root.SetArgs(args)
	err := cli.Execute(ctx, root)
	r := result{out: out.String(), err: err}
	if err != nil {
		r.code = cli.ExitFailure
		var ee *cli.ExitError
		if errors.As(err, &ee) {
			r.code = ee.Code
		}
	}
	return r
}

// dataEnv is an Env on a migrated database and an index prefix of the
// test's own.
func dataEnv(t *testing.T) *cli.Env {
	t.Helper()
	_, prefix := testenv.Elasticsearch(t)
	return &cli.Env{
		DatabaseURL:      testenv.DatabaseURL(t),
		ElasticsearchURL: testenv.ElasticsearchURL(t),
		ES:               testenv.ElasticsearchAuth(t),
		IndexPrefix:      prefix,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// offlineEnv is an Env for commands that touch no service.
func offlineEnv() *cli.Env {
	return &cli.Env{IndexPrefix: "unused", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}
