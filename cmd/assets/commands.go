package main

import (
	"bufio"
	"io"

	"github.com/spf13/cobra"
)

// commands lists every subcommand.
func commands(e *env) []*cobra.Command {
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
		newBenchCmd(e),
		newDrillsCmd(e),
	}
}

func newBufferedWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 1<<20) }
