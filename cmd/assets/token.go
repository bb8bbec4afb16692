package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/store"
)

func newTokenCmd(e *cli.Env) *cobra.Command {
	token := &cobra.Command{Use: "token", Short: "Manage API tokens: create, list, revoke", Args: cobra.NoArgs}
	token.AddCommand(newTokenCreateCmd(e), newTokenListCmd(e), newTokenRevokeCmd(e))
	return token
}

// parseLifetime reads a token lifetime: a whole number of days ("90d") or
// a Go duration of hours, minutes and seconds ("12h", "90m", "1h30m").
func parseLifetime(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
		if n > 100*366 { // and no overflow
			err = errors.New("more than a century")
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--expires %q: want a positive lifetime such as 90d, 12h or 30m", s)
	}
	return d, nil
}

func newTokenCreateCmd(e *cli.Env) *cobra.Command {
	var name, expires string
	var grants []string
	create := &cobra.Command{
		Use:   "create --name NAME --grant KIND:ID:PERMISSION ... [--expires 90d]",
		Short: "Create an API token and print it, alone on one line, once",
		Long: `Create stores a token (only its SHA-256 hash is kept) with grants such as
  --grant tenant:<tenant-uuid>:tenant.read   --grant group:<group-uuid>:group.edit
A grant on a tenant covers its groups and orgs; a grant on a group covers its orgs;
edit implies read. Each grant must name an existing tenant, group or org of its kind
(exit 2 otherwise). --expires sets a lifetime in days, hours or minutes (90d, 12h,
30m); without it the token never expires and lives until revoked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var gs []store.Grant
			for _, s := range grants {
				g, err := store.ParseGrant(s)
				if err != nil {
					return cli.BadInput(err)
				}
				gs = append(gs, g)
			}
			if name == "" || len(gs) == 0 {
				return cli.BadInput(errors.New("--name and at least one --grant are required"))
			}
			var opts []store.TokenOption
			if expires != "" {
				d, err := parseLifetime(expires)
				if err != nil {
					return cli.BadInput(err)
				}
				opts = append(opts, store.WithExpiry(time.Now().Add(d)))
			}
			pool, err := cli.OpenDB(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer pool.Close()
			secret, err := store.CreateToken(cmd.Context(), pool, name, gs, opts...)
			var gse *store.GrantScopeError
			if errors.As(err, &gse) {
				return cli.BadInput(fmt.Errorf("%w; the token would see nothing, so none was created", err))
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), secret)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "a name to recognise the token by")
	create.Flags().StringArrayVar(&grants, "grant", nil, "KIND:ID:PERMISSION, repeatable")
	create.Flags().StringVar(&expires, "expires", "", "lifetime: 90d, 12h, 30m (default: never expires)")
	return create
}

func newTokenListCmd(e *cli.Env) *cobra.Command {
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the tokens: id, name, grants, created, expires, last used, revoked (never the secret)",
		Long: `list prints every token, oldest first. The secret is never stored, so it is never shown.
"last used" is recorded to the minute. --json prints a JSON array instead of a table.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pool, err := cli.OpenDB(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer pool.Close()
			tokens, err := store.ListTokens(cmd.Context(), pool)
			if err != nil {
				return err
			}
			if asJSON {
				if tokens == nil {
					tokens = []store.TokenInfo{}
				}
				return json.NewEncoder(cmd.OutOrStdout()).Encode(tokens)
			}
			return printTokens(cmd.OutOrStdout(), tokens)
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return list
}

// printTokens writes tokens as an aligned table.
func printTokens(w io.Writer, tokens []store.TokenInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tGRANTS\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
	at := func(t *time.Time, none string) string {
		if t == nil {
			return none
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, t := range tokens {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Grants, ","),
			at(&t.CreatedAt, ""), at(t.ExpiresAt, "never"), at(t.LastUsedAt, "never"), at(t.RevokedAt, "-"))
	}
	return tw.Flush()
}

func newTokenRevokeCmd(e *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token (see token list for ids): from now on it gets 401",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := uuid.Parse(args[0]); err != nil {
				return cli.BadInput(fmt.Errorf("token id %q is not a UUID (see assets token list)", args[0]))
			}
			pool, err := cli.OpenDB(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer pool.Close()
			already, err := store.RevokeToken(cmd.Context(), pool, args[0])
			if errors.Is(err, store.ErrNotFound) {
				return cli.BadInput(fmt.Errorf("no token has the id %s (see assets token list)", args[0]))
			}
			if err != nil {
				return err
			}
			msg := "revoked"
			if already {
				msg = "already revoked"
			}
			fmt.Fprintln(cmd.OutOrStdout(), args[0], msg)
			return nil
		},
	}
}
