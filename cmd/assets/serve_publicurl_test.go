package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/openinventory/assets/internal/cli"
)

// TestServeBadPublicURL: a public URL links cannot be built on is bad
// input, from the flag or the environment, before anything connects.
func TestServeBadPublicURL(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  string
	}{
		{"flag", []string{"--public-url", "ftp://assets.example.com"}, ""},
		{"environment", nil, "assets.example.com/no-scheme"},
		{"query", []string{"--public-url", "https://assets.example.com/?x=1"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ASSETS_PUBLIC_URL", tc.env)
			cmd := newServeCmd(&cli.Env{Logger: slog.New(slog.NewTextHandler(&logBuffer{}, nil))})
			cmd.SilenceUsage = true
			cmd.SetArgs(tc.args)
			err := cmd.ExecuteContext(context.Background())
			var ee *cli.ExitError
			if !errors.As(err, &ee) || ee.Code != cli.ExitBadInput || !strings.Contains(err.Error(), "public-url") {
				t.Errorf("err = %v, want bad input naming --public-url", err)
			}
		})
	}
}
