package main

// TEMPORARY: runs `assets bench` before commands.go lists it. Delete.

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestBenchTry(t *testing.T) {
	args := os.Getenv("ASSETS_BENCH_TRY")
	if args == "" {
		t.Skip("ASSETS_BENCH_TRY not set")
	}
	e := loadEnv()
	root := &cobra.Command{Use: "assets", SilenceUsage: true}
	root.AddCommand(append(commands(e), newBenchCmd(e))...)
	root.SetArgs(strings.Fields(args))
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
}
