package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// Execute runs root with ctx. An error the command line causes before any
// command ran (an unknown command or flag, a bad flag value, a missing
// argument or required flag) is bad input, exit status 2, with a pointer to
// --help; cobra reports these through several paths, so the rule is "the
// command's RunE never started".
func Execute(ctx context.Context, root *cobra.Command) error {
	started := false
	markStarted(root, &started)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil || started {
		return schemaHint(err)
	}
	return BadInput(fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath()))
}

// markStarted wraps the RunE of c and its subcommands to set *started.
// A command that only groups others gets a RunE printing its help, so that
// an unknown subcommand of it is an error, not a silent help page.
func markStarted(c *cobra.Command, started *bool) {
	if c.RunE == nil && c.Run == nil && c.HasSubCommands() {
		if c.Args == nil {
			c.Args = cobra.NoArgs
		}
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*started = true
			return run(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markStarted(sub, started)
	}
}
