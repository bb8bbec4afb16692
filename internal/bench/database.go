package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/migrations"
	"github.com/openinventory/assets/store"
)

// EnsureDatabase makes the database name, on the server of adminURL, ready
// for Run and returns its URL (adminURL with the database replaced). It
// creates the database when missing, and recreates it when it was built
// from other migrations than this binary's (they are edited in place
// while the project is young, and goose would not reapply them). It
// refuses adminURL's own database, so the benchmark never touches the
// development data.
func EnsureDatabase(ctx context.Context, adminURL, name string) (string, error) {
	benchURL, err := harness.DatabaseURL(adminURL, name)
	if err == nil {
		err = harness.LoopbackOnly(adminURL, "")
	}
	if err != nil {
		return "", fmt.Errorf("preparing the benchmark database: %w", err)
	}
	want, err := schemaFingerprint()
	if err != nil {
		return "", err
	}
	exists, err := harness.DatabaseExists(ctx, adminURL, name)
	if err != nil {
		return "", fmt.Errorf("preparing the benchmark database: %w", err)
	}
	if exists {
		got, err := storedFingerprint(ctx, benchURL)
		if err != nil {
			return "", err
		}
		if got == want {
			return benchURL, nil
		}
	}
	// Missing, or built from other migrations: (re)create it.
	return harness.CreateDatabase(ctx, adminURL, name)
}

// schemaFingerprint is a hash of the embedded migrations.
func schemaFingerprint() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hashing the migrations: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// benchMetaSQL is the benchmark's own table in its database.
const benchMetaSQL = `CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)`

// storedFingerprint reads the fingerprint recordFingerprint stored; ""
// when there is none.
func storedFingerprint(ctx context.Context, databaseURL string) (string, error) {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return "", fmt.Errorf("preparing the benchmark database: connecting: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var v string
	err = conn.QueryRow(ctx, `SELECT value FROM bench_meta WHERE key = 'schema'`).Scan(&v)
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows), errors.As(err, &pgErr) && pgErr.Code == store.SQLStateUndefinedTable:
		return "", nil
	case err != nil:
		return "", fmt.Errorf("reading the benchmark database's schema fingerprint: %w", err)
	}
	return v, nil
}

// recordFingerprint stores the migrations' fingerprint once they are
// applied.
func (r *runner) recordFingerprint(ctx context.Context) error {
	fp, err := schemaFingerprint()
	if err != nil {
		return err
	}
	if _, err := r.pool.Exec(ctx, benchMetaSQL); err != nil {
		return fmt.Errorf("creating bench_meta: %w", err)
	}
	_, err = r.pool.Exec(ctx, `INSERT INTO bench_meta (key, value) VALUES ('schema', $1)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, fp)
	if err != nil {
		return fmt.Errorf("recording the schema fingerprint: %w", err)
	}
	return nil
}
