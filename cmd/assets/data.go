package main

import (
	"context"
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
			pool, err := cli.OpenPostgres(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer pool.Close()
			return store.Migrate(cmd.Context(), pool, e.Logger)
		},
	}
}

func newImportCmd(e *cli.Env) *cobra.Command {
	var mirror string
	var listMissing int
	cmd := &cobra.Command{
		Use:   "import FILE|-",
		Short: "Import NDJSON resources (tenants, groups, orgs, container_images): all or nothing",
		Long: `Import reads NDJSON, one resource per line:
  {"type":"tenants","id":UUID,"attributes":{"name":...}}
  {"type":"groups","id":UUID,"attributes":{"tenant_id":UUID,"name":...}}
  {"type":"orgs","id":UUID,"attributes":{"group_id":UUID,"name":...}}
  {"type":"container_images","id":UUID,"attributes":{"tenant_id":UUID,"org_ids":[UUID...], ...contract attributes}}
and a container image is deleted by a JSON:API "remove" operation:
  {"op":"remove","ref":{"type":"container_images","id":UUID}}
Resources are upserted by id and removals applied in one transaction; a removal of an
asset that does not exist is counted in the summary (remove_missing), not an error.
With --mirror KIND:ID (tenant, group or org) the file is the full snapshot of that
scope: every asset of the scope the file does not name is deleted too (mirror_deleted);
a file holding an asset outside the scope is refused. The first bad line, or a second
line of an id, is reported as "line N: <what is wrong>" with exit status 2, and nothing
is written.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := importOptions(e, mirror, listMissing)
			if err != nil {
				return cli.BadInput(err)
			}
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
			pool, err := cli.OpenDB(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer pool.Close()
			start := time.Now()
			// Parse on every core: JSON decoding is most of an import's CPU time.
			src := store.NewParallelNDJSONReader(in, runtime.GOMAXPROCS(0))
			defer src.Close()
			sum, err := store.Import(cmd.Context(), pool, src, append(opts, store.ReportProgress(prog, -1))...)
			var le *store.LineError
			if errors.As(err, &le) {
				return cli.BadInput(le)
			}
			if errors.Is(err, store.ErrNotFound) { // the mirrored scope
				return cli.BadInput(err)
			}
			if err != nil {
				return err
			}
			prog.Finish()
			e.Logger.Info("import done", "tenants", sum.Tenants, "groups", sum.Groups, "orgs", sum.Orgs,
				"assets", sum.Assets, "removed", sum.Removed, "remove_missing", sum.RemoveMissing,
				"mirror_deleted", sum.MirrorDeleted, "duration", time.Since(start).Round(time.Millisecond))
			return json.NewEncoder(cmd.OutOrStdout()).Encode(sum)
		},
	}
	f := cmd.Flags()
	f.StringVar(&mirror, "mirror", "", "KIND:ID (tenant, group or org): the file is that scope's full snapshot; delete the scope's assets it does not name")
	f.IntVar(&listMissing, "list-missing", store.ListMissingDefault, "list at most this many ids of remove lines that named no asset in the summary (all are counted)")
	return cmd
}

// importOptions checks the import flags before anything is read or written.
func importOptions(e *cli.Env, mirror string, listMissing int) ([]store.ImportOption, error) {
	if listMissing < 0 {
		return nil, fmt.Errorf("--list-missing %d: must be 0 or more", listMissing)
	}
	opts := []store.ImportOption{store.LogPhases(e.Logger), store.ListMissing(listMissing)}
	if mirror != "" {
		m, err := store.ParseMirrorScope(mirror)
		if err != nil {
			return nil, err
		}
		opts = append(opts, store.Mirror(m))
	}
	return opts, nil
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
summary of the ids it created. With --out it writes import NDJSON instead of inserting;
the file appears only when complete (it is written as FILE.partial, which an interrupted
or failed run removes). Sizes are bounded: --assets 1 to 10000000, --tenants 1 to 1000,
--groups tenants to 10000, --orgs groups to 100000.`,
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
				if err := writeNDJSON(cmd.Context(), out, &countingSource{src: gen, progress: prog}); err != nil {
					return err
				}
			} else {
				pool, err := cli.OpenDB(cmd.Context(), e)
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

// writeNDJSON writes src to path (- for stdout) until src ends or ctx is
// done. A file is written as path.partial and renamed when complete, so an
// interrupted run leaves neither a truncated file nor a clobbered old one.
func writeNDJSON(ctx context.Context, path string, src store.RecordSource) error {
	if path == "-" {
		return copyNDJSON(ctx, os.Stdout, src, "stdout")
	}
	tmp := path + ".partial"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("creating %s: %w", tmp, err)
	}
	err = copyNDJSON(ctx, f, src, tmp)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing %s: %w", tmp, cerr)
	}
	if err == nil {
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("renaming %s to %s: %w", tmp, path, err)
		}
		return nil
	}
	if rerr := os.Remove(tmp); rerr != nil {
		return errors.Join(err, fmt.Errorf("removing the partial file: %w", rerr))
	}
	return fmt.Errorf("%w (removed the partial file %s; %s is unchanged)", err, tmp, path)
}

// copyNDJSON writes every record of src to w as NDJSON, checking ctx
// between records so that Ctrl-C or SIGTERM stops it at once.
func copyNDJSON(ctx context.Context, w io.Writer, src store.RecordSource, name string) error {
	bw := newBufferedWriter(w)
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("writing %s: stopped: %w", name, err)
		}
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := store.WriteNDJSON(bw, rec); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
