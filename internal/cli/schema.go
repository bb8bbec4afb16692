package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"

	"github.com/openinventory/assets/migrations"
	"github.com/openinventory/assets/store"
)

// ErrNotMigrated is in the chain of RequireSchema's error when the database
// misses migrations this binary needs.
var ErrNotMigrated = errors.New("the database schema is not up to date")

// embeddedVersions lists the migration versions built into the binary.
func embeddedVersions() ([]int64, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("listing the embedded migrations: %w", err)
	}
	var vs []int64
	for _, n := range names {
		v, err := goose.NumericComponent(n)
		if err != nil {
			return nil, fmt.Errorf("embedded migration %s: %w", n, err)
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// RequireSchema checks, read-only, that every migration built into the
// binary was applied to the database of q, so that a command on a database
// nobody migrated says what to do instead of `relation "assets" does not
// exist`. The error is bad input (exit 2) and wraps ErrNotMigrated.
func RequireSchema(ctx context.Context, q store.Querier) error {
	want, err := embeddedVersions()
	if err != nil {
		return err
	}
	var applied []int64
	err = q.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT version_id), '{}') FROM goose_db_version WHERE is_applied`).Scan(&applied)
	if err != nil && store.SQLState(err) != store.SQLStateUndefinedTable {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	var missing []string
	for _, v := range want {
		if !slices.Contains(applied, v) {
			missing = append(missing, fmt.Sprint(v))
		}
	}
	switch {
	case len(missing) == 0:
		return nil
	case len(applied) == 0:
		return BadInput(fmt.Errorf("%w: the database was never migrated: run `assets migrate` first (same ASSETS_DATABASE_URL)", ErrNotMigrated))
	default:
		return BadInput(fmt.Errorf("%w: these migrations are not applied: %s: run `assets migrate` first (same ASSETS_DATABASE_URL)",
			ErrNotMigrated, strings.Join(missing, ", ")))
	}
}

// schemaHint turns an undefined-table error that got past RequireSchema
// (a database dropped under a running command) into the same advice.
func schemaHint(err error) error {
	if store.SQLState(err) == store.SQLStateUndefinedTable {
		return BadInput(fmt.Errorf("%w (%v): run `assets migrate`", ErrNotMigrated, err))
	}
	return err
}
