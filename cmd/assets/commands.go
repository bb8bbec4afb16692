package main

import (
	"bufio"
	"io"

	"github.com/spf13/cobra"

	"github.com/openinventory/assets/internal/cli"
)

// commands lists every subcommand.
func commands(e *cli.Env) []*cobra.Command {
	return []*cobra.Command{
		newServeCmd(e),
		newMigrateCmd(e),
		newImportCmd(e),
		newSeedCmd(e),
		newTokenCmd(e),
		newSyncCmd(e),
		newReindexCmd(e),
		newVerifyCmd(e),
		newRSQLCmd(),
	}
}

func newBufferedWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 1<<20) }
