package main

import (
	"encoding/json"
	"errors"

	"github.com/spf13/cobra"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/rsql"
)

// filterArg holds how rsql subcommands take their filter: the positional
// argument, or --filter (kept so that older scripts of explain still work).
type filterArg struct {
	flag       string
	noValidate bool
}

func (f *filterArg) register(cmd *cobra.Command, validateFlag bool) {
	cmd.Flags().StringVar(&f.flag, "filter", "", "the RSQL filter (alias of the argument)")
	if validateFlag {
		cmd.Flags().BoolVar(&f.noValidate, "no-validate", false, "check the grammar only, not the selectors, operators and values")
	}
}

// parse reads the one filter given and parses and, unless told not to,
// validates it against the field catalogue; any problem is bad input.
func (f *filterArg) parse(args []string) (rsql.Node, error) {
	expr := f.flag
	switch {
	case len(args) == 1 && f.flag != "":
		return nil, cli.BadInput(errors.New("give the filter once: as the argument or with --filter"))
	case len(args) == 1:
		expr = args[0]
	case f.flag == "":
		return nil, cli.BadInput(errors.New("no filter: give it as the argument, e.g. 'name==nginx*'"))
	}
	n, err := rsql.Parse(expr)
	if err != nil {
		return nil, cli.BadInput(err)
	}
	if !f.noValidate {
		if err := rsql.Validate(n, index.NewCatalogue()); err != nil {
			return nil, cli.BadInput(err)
		}
	}
	return n, nil
}

func newRSQLCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "rsql", Short: "Parse and explain RSQL filters", Args: cobra.NoArgs}
	var pf filterArg
	parse := &cobra.Command{
		Use:   "parse EXPR [--no-validate]",
		Short: "Print the AST of an RSQL filter as one line of JSON (exit 2 if invalid)",
		Long: `parse prints the AST of the filter. Like the API, it checks the selectors, operators and
values against the field catalogue; --no-validate checks the grammar only.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := pf.parse(args)
			if err != nil {
				return err
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(n)
		},
	}
	pf.register(parse, true)
	var ef filterArg
	explain := &cobra.Command{
		Use:   "explain EXPR",
		Short: `Print {"ast": ..., "elasticsearch": ...}: the parsed, validated filter and its query`,
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := ef.parse(args)
			if err != nil {
				return err
			}
			q, err := index.Explain(n)
			if err != nil {
				return cli.BadInput(err)
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(q)
		},
	}
	ef.register(explain, false)
	cmd.AddCommand(parse, explain)
	return cmd
}
