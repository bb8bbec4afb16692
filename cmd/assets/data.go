package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/store"
)

func newMigrateCmd(e *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the embedded SQL migrations to ASSETS_DATABASE_URL",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pool, err := store.Open(cmd.Context(), e.DatabaseURL)
			if err != nil {
				return err
			}
			defer pool.Close()
			return store.Migrate(cmd.Context(), pool, e.Logger)
		},
	}
}

func newImportCmd(e *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE|-",
		Short: "Import NDJSON resources (tenants, groups, orgs, container_images): all or nothing",
		Long: `Import reads NDJSON, one resource per line:
  {"type":"tenants","id":UUID,"attributes":{"name":...}}
  {"type":"groups","id":UUID,"attributes":{"tenant_id":UUID,"name":...}}
  {"type":"orgs","id":UUID,"attributes":{"group_id":UUID,"name":...}}
  {"type":"container_images","id":UUID,"attributes":{"tenant_id":UUID,"org_ids":[UUID...], ...contract attributes}}
Resources are upserted by id in one transaction. The first bad line is reported as
"line N: <what is wrong>" with exit status 2, and nothing is written.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = os.Stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return cli.BadInput(fmt.Errorf("opening %s: %w", args[0], err))
				}
				defer f.Close()
				in = f
			}
			prog, err := cli.NewCommandProgress(e.Logger)
			if err != nil {
				return err
			}
			defer prog.Close()
			pool, err := store.Open(cmd.Context(), e.DatabaseURL)
			if err != nil {
				return err
			}
			defer pool.Close()
			start := time.Now()
			// Parse on every core: JSON decoding is most of an import's CPU time.
			src := store.NewParallelNDJSONReader(in, runtime.GOMAXPROCS(0))
			defer src.Close()
			sum, err := store.Import(cmd.Context(), pool, src, store.LogPhases(e.Logger), store.ReportProgress(prog, -1))
			var le *store.LineError
			if errors.As(err, &le) {
				return cli.BadInput(le)
			}
			if err != nil {
				return err
			}
			prog.Finish()
			e.Logger.Info("import done", "tenants", sum.Tenants, "groups", sum.Groups, "orgs", sum.Orgs,
				"assets", sum.Assets, "duration", time.Since(start).Round(time.Millisecond))
			return json.NewEncoder(cmd.OutOrStdout()).Encode(sum)
		},
	}
}

// countingSource counts the asset records read from src into progress.
type countingSource struct {
	src      store.RecordSource
	progress interface{ Add(n int64) }
}

func (c *countingSource) Next() (store.Record, error) {
	r, err := c.src.Next()
	if err == nil && r.Asset != nil {
		c.progress.Add(1)
	}
	return r, err
}

func newSeedCmd(e *cli.Env) *cobra.Command {
	var opts seed.Options
	var out string
	var ifEmpty bool
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Insert (or write as import NDJSON) a reproducible synthetic data set",
		Long: `Seed generates tenants, groups, orgs and container images with realistic, skewed
values (registries, repositories, tags, labels, digests, classes, risk scores, issue counts,
timestamps over two years). The same flags always give the same data. It prints a JSON
summary of the ids it created. With --out it writes import NDJSON instead of inserting.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			gen, err := seed.New(opts)
			if err != nil {
				return cli.BadInput(err)
			}
			prog, err := cli.NewCommandProgress(e.Logger)
			if err != nil {
				return err
			}
			defer prog.Close()
			start := time.Now()
			if out != "" {
				prog.Phase("generate", "assets", int64(opts.Assets))
				if err := writeNDJSON(out, &countingSource{src: gen, progress: prog}); err != nil {
					return err
				}
			} else {
				pool, err := store.Open(cmd.Context(), e.DatabaseURL)
				if err != nil {
					return err
				}
				defer pool.Close()
				if ifEmpty {
					present, err := store.HasAssets(cmd.Context(), pool)
					if err != nil {
						return err
					}
					if present {
						e.Logger.Info("assets already present; not seeding")
						return nil
					}
				}
				if _, err := store.Import(cmd.Context(), pool, gen, store.LogPhases(e.Logger),
					store.ReportProgress(prog, int64(opts.Assets))); err != nil {
					return fmt.Errorf("seeding: %w", err)
				}
			}
			prog.Finish()
			e.Logger.Info("seed done", "assets", opts.Assets, "duration", time.Since(start).Round(time.Millisecond))
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(gen.Summary())
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Assets, "assets", 1000, "number of container images")
	f.IntVar(&opts.Tenants, "tenants", 2, "number of tenants")
	f.IntVar(&opts.Groups, "groups", 4, "number of groups (spread over the tenants)")
	f.IntVar(&opts.Orgs, "orgs", 12, "number of orgs (spread over the groups)")
	f.Int64Var(&opts.Seed, "seed", 1, "random seed: the same seed gives the same data")
	f.StringVar(&out, "out", "", "write import NDJSON to this file (- for stdout) instead of inserting")
	f.BoolVar(&ifEmpty, "if-empty", false, "do nothing when the database already holds assets")
	return cmd
}

func writeNDJSON(path string, src store.RecordSource) error {
	var w io.Writer = os.Stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("creating %s: %w", path, err)
		}
		defer f.Close()
		w = f
	}
	bw := newBufferedWriter(w)
	for {
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := store.WriteNDJSON(bw, rec); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func newTokenCmd(e *cli.Env) *cobra.Command {
	token := &cobra.Command{Use: "token", Short: "Manage API tokens"}
	var name string
	var grants []string
	create := &cobra.Command{
		Use:   "create --name NAME --grant KIND:ID:PERMISSION ...",
		Short: "Create an API token and print it, alone on one line, once",
		Long: `Create stores a token (only its SHA-256 hash is kept) with grants such as
  --grant tenant:<tenant-uuid>:tenant.read   --grant group:<group-uuid>:group.edit
A grant on a tenant covers its groups and orgs; a grant on a group covers its orgs;
edit implies read.`,
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
			pool, err := store.Open(cmd.Context(), e.DatabaseURL)
			if err != nil {
				return err
			}
			defer pool.Close()
			secret, err := store.CreateToken(cmd.Context(), pool, name, gs)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), secret)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "a name to recognise the token by")
	create.Flags().StringArrayVar(&grants, "grant", nil, "KIND:ID:PERMISSION, repeatable")
	token.AddCommand(create)
	return token
}
