package store

import (
	"context"
	"crypto/rand"
	"fmt"
)

// SettingCursorKey names the key that signs cursors when ASSETS_CURSOR_KEY
// is not set.
const SettingCursorKey = "cursor_key"

// SharedSecret returns the secret stored under name, generating size random
// bytes and storing them first when there is none. Every caller gets the
// same value: a racing second insert does nothing, and the value is read
// back rather than trusted from the insert.
func SharedSecret(ctx context.Context, q Querier, name string, size int) ([]byte, error) {
	fresh := make([]byte, size)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("generating setting %s: %w", name, err)
	}
	if _, err := q.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, fmt.Errorf("storing setting %s: %w", name, err)
	}
	var value []byte
	if err := q.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&value); err != nil {
		return nil, fmt.Errorf("reading setting %s: %w", name, err)
	}
	return value, nil
}
