package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/rsql"
)

func newRSQLCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "rsql", Short: "Parse and explain RSQL filters"}
	parse := &cobra.Command{
		Use:   "parse EXPR",
		Short: "Print the AST of an RSQL expression as one line of JSON (exit 2 if invalid)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := rsql.Parse(args[0])
			if err != nil {
				return cli.BadInput(err)
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(n)
		},
	}
	var filter string
	explain := &cobra.Command{
		Use:   "explain --filter EXPR",
		Short: `Print {"ast": ..., "elasticsearch": ...}: the parsed, validated filter and its query`,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := rsql.Parse(filter)
			if err != nil {
				return cli.BadInput(err)
			}
			if err := rsql.Validate(n, index.NewCatalogue()); err != nil {
				return cli.BadInput(err)
			}
			q, err := index.Explain(n)
			if err != nil {
				return cli.BadInput(err)
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(q)
		},
	}
	explain.Flags().StringVar(&filter, "filter", "", "the RSQL filter")
	_ = explain.MarkFlagRequired("filter")
	cmd.AddCommand(parse, explain)
	return cmd
}
