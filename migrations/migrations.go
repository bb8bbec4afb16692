// Package migrations holds the SQL schema migrations, embedded in the binary
// and applied with goose by "assets migrate" and at start-up.
package migrations

import "embed"

// FS is the embedded migration files.
//
//go:embed *.sql
var FS embed.FS
