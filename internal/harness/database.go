package harness

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// DatabaseURL is adminURL (a postgres:// URL) naming the database name
// instead. It refuses adminURL's own database, so the lab never touches
// the data it connects through.
func DatabaseURL(adminURL, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("no database name")
	}
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("the admin database URL must be a postgres:// URL")
	}
	if strings.TrimPrefix(u.Path, "/") == name {
		return "", fmt.Errorf("the admin database URL already names %s; it must name another database", name)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// admin connects to adminURL for at most a minute of work.
func admin(ctx context.Context, adminURL string, do func(context.Context, *pgx.Conn) error) error {
	actx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := pgx.Connect(actx, adminURL)
	if err != nil {
		return fmt.Errorf("connecting to the admin database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return do(actx, conn)
}

// DatabaseExists reports whether the server of adminURL has the database
// name.
func DatabaseExists(ctx context.Context, adminURL, name string) (bool, error) {
	var exists bool
	err := admin(ctx, adminURL, func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	})
	if err != nil {
		return false, fmt.Errorf("looking for database %s: %w", name, err)
	}
	return exists, nil
}

// CreateDatabase creates the database name on the server of adminURL,
// dropping any database of that name first, and returns its URL.
func CreateDatabase(ctx context.Context, adminURL, name string) (string, error) {
	dbURL, err := DatabaseURL(adminURL, name)
	if err != nil {
		return "", err
	}
	ident := pgx.Identifier{name}.Sanitize()
	err = admin(ctx, adminURL, func(ctx context.Context, c *pgx.Conn) error {
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("dropping database %s: %w", name, err)
		}
		if _, err := c.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
			return fmt.Errorf("creating database %s: %w", name, err)
		}
		return nil
	})
	return dbURL, err
}

// DropDatabase drops the database name, if it exists, ending its sessions.
func DropDatabase(ctx context.Context, adminURL, name string) error {
	return admin(ctx, adminURL, func(ctx context.Context, c *pgx.Conn) error {
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("dropping database %s: %w", name, err)
		}
		return nil
	})
}
